import RSRModel

/// One generation asked of the engine: a tokenized prompt and how to continue it.
public struct GenerationRequest: Sendable {
    public var prompt: [Int]
    /// Tokens to generate at most (the context window may end the reply sooner).
    public var maxTokens: Int
    public var sampling: SamplingOptions
    /// Token ids that end the reply (end of sequence, end of turn); empty to run to `maxTokens`.
    public var stopTokens: Set<Int>

    public init(prompt: [Int], maxTokens: Int, sampling: SamplingOptions = SamplingOptions(), stopTokens: Set<Int> = []) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopTokens = stopTokens
    }
}

/// Counts and times of one finished request.
public struct GenerationUsage: Sendable, Equatable {
    public var promptTokens = 0
    /// Of the prompt tokens, those whose keys and values were found in the KV pool instead of computed.
    public var cachedPromptTokens = 0
    public var generatedTokens = 0
    /// From submission to the first generated token, and to the last.
    public var secondsToFirstToken = 0.0
    public var seconds = 0.0

    public init() {}
}

/// What a request hears from the engine, in order: tokens, then exactly one `finished` or `failed`.
public enum GenerationEvent: Sendable, Equatable {
    case token(Int)
    /// `StopReason.stopped` when the request was cancelled.
    case finished(StopReason, GenerationUsage)
    case failed(String)
}

/// Why the engine did not take a request.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// `--max-queue` requests are already waiting.
    case queueFull(waiting: Int)
    /// The engine stopped or never loaded its model.
    case unavailable(String)
    /// The request itself cannot run (empty prompt, too long for the context, bad sampling options).
    case invalid(String)

    public var description: String {
        switch self {
        case .queueFull(let waiting): "the queue is full (\(waiting) requests waiting)"
        case .unavailable(let why): why
        case .invalid(let why): why
        }
    }
}
