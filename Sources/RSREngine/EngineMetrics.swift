/// Counters of an engine since it started, read as one consistent snapshot.
public struct EngineMetrics: Sendable, Equatable {
    /// Requests taken, refused (full queue, invalid), finished, failed and cancelled.
    public var requestsAccepted = 0
    public var requestsRejected = 0
    public var requestsFinished = 0
    public var requestsFailed = 0
    public var requestsCancelled = 0
    /// Prompt tokens run, and those found in the KV pool's pages instead.
    public var promptTokens = 0
    public var cachedPromptTokens = 0
    public var generatedTokens = 0
    /// Requests waiting for a sequence slot, and sequences running (prefilling or decoding).
    public var waiting = 0
    public var active = 0
    /// KV pool pages that sequences hold, that only the prefix index keeps, and in all.
    public var kvPagesInUse = 0
    public var kvPagesCached = 0
    public var kvPages = 0
    /// Batched steps run, and the rows (tokens) and sequences they held in all.
    public var steps = 0
    public var stepRows = 0
    public var stepSequences = 0
    /// Sum and count of the times from submission to the first token.
    public var secondsToFirstTokenSum = 0.0
    public var firstTokens = 0

    public init() {}
}
