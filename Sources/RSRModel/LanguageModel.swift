import RSRFormat

/// What generation needs of a model, wherever it runs: the CPU `Transformer` or a GPU backend. A model
/// holds one sequence at a time.
public protocol LanguageModel: AnyObject {
    var config: ModelConfig { get }
    /// Starts a new sequence of up to `capacity` positions, forgetting the previous one.
    func beginSequence(capacity: Int) throws
    /// Runs `tokens` at the sequence's next positions and returns the logits after each token at
    /// `positions` (indices into `tokens`).
    func advance(_ tokens: [Int], logitsAt positions: Range<Int>) throws -> Logits
}

extension LanguageModel {
    /// Runs `tokens` and returns the logits after the last one.
    public func advance(_ tokens: [Int]) throws -> Logits {
        try advance(tokens, logitsAt: max(tokens.count - 1, 0)..<tokens.count)
    }
}

extension Transformer: LanguageModel {
    public func beginSequence(capacity: Int) throws {
        if let cache = sequence, cache.capacity >= capacity {
            cache.reset()
        } else {
            sequence = nil // free the old cache before allocating the new one
            sequence = try makeCache(capacity: capacity)
        }
    }

    public func advance(_ tokens: [Int], logitsAt positions: Range<Int>) throws -> Logits {
        guard let sequence else { throw ModelError("advance before beginSequence: no sequence has been started") }
        return try forward(tokens, cache: sequence, logitsAt: positions)
    }
}
