import Foundation

/// Timing and counts of one generation.
public struct GenerationStats: Sendable {
    public var promptTokens = 0
    public var generatedTokens = 0
    public var prefillSeconds = 0.0
    public var decodeSeconds = 0.0

    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptTokens) / prefillSeconds : 0 }
    /// Decode rate over the tokens after the first (the first comes from the prefill's logits).
    public var decodeTokensPerSecond: Double {
        decodeSeconds > 0 && generatedTokens > 1 ? Double(generatedTokens - 1) / decodeSeconds : 0
    }
}

/// Why generation ended.
public enum StopReason: String, Sendable {
    case endOfSequence = "eos"
    case length
    case contextFull = "context"
    case stopped
}

/// Prefill then decode: runs the prompt as batches, then one token at a time, handing each new token to
/// a callback that may stop early.
public struct Generator {
    public let model: any LanguageModel
    public var options: SamplingOptions
    /// Token ids that end generation (eos, end of turn).
    public var stopTokens: Set<Int>

    public init(model: any LanguageModel, options: SamplingOptions = SamplingOptions(), stopTokens: Set<Int> = []) {
        self.model = model
        self.options = options
        self.stopTokens = stopTokens
    }

    /// Positions a generation of up to `maxTokens` after a prompt of `prompt` tokens needs, within a context
    /// window of `context`; throws when the prompt alone fills the window.
    public static func capacity(prompt: Int, maxTokens: Int, context: Int) throws -> Int {
        guard prompt < context else {
            throw ModelError("the prompt has \(prompt) tokens; the context window is \(context)")
        }
        return prompt + min(max(maxTokens, 0), context - prompt)
    }

    /// Generates up to `maxTokens` after `prompt`; `onToken` gets each token (a stop token too, last) and
    /// returns false to stop.
    @discardableResult
    public func generate(prompt: [Int], maxTokens: Int, onToken: (Int) throws -> Bool) throws -> (stats: GenerationStats, reason: StopReason) {
        guard !prompt.isEmpty else { throw ModelError("the prompt is empty: there must be at least one token") }
        let context = model.config.contextLength
        try model.beginSequence(capacity: Self.capacity(prompt: prompt.count, maxTokens: maxTokens, context: context))
        var sampler = Sampler(options)
        var stats = GenerationStats()
        stats.promptTokens = prompt.count
        var history = prompt
        var start = Date()
        var logits = try model.advance(prompt)
        stats.prefillSeconds = Date().timeIntervalSince(start)
        guard maxTokens > 0 else { return (stats, .length) }
        start = Date()
        func finish(_ reason: StopReason) -> (GenerationStats, StopReason) {
            stats.decodeSeconds = Date().timeIntervalSince(start)
            return (stats, reason)
        }
        while true {
            let token = logits.values.withUnsafeMutableBufferPointer { sampler.next($0, history: history) }
            history.append(token)
            stats.generatedTokens += 1
            let wanted = try onToken(token)
            if stopTokens.contains(token) { return finish(.endOfSequence) }
            if !wanted { return finish(.stopped) }
            if stats.generatedTokens >= maxTokens { return finish(.length) }
            if history.count >= context { return finish(.contextFull) }  // prompt and reply fill the window
            logits = try model.advance([token])
        }
    }
}
