/// transformers' sliding-window perplexity recipe ("Perplexity of fixed-length models"): windows of at
/// most `context` tokens start at 0, stride, 2 stride, ... until one reaches the end of the text; each
/// scores only the tokens after the previous window's end and after its own first token, so every token
/// but the first is scored once, with up to context - stride tokens of history before it (windows that do
/// not overlap, stride = context, leave each one's first token unscored, as transformers' loop does).
public struct SlidingWindows: Sendable, Equatable {
    /// One forward pass: tokens begin..<end of the text, scoring targets scoredFrom..<end.
    public struct Window: Sendable, Equatable {
        public let begin: Int
        public let end: Int
        public let scoredFrom: Int

        /// Positions within the window whose logits predict the scored targets.
        public var logitPositions: Range<Int> { scoredFrom - 1 - begin..<end - 1 - begin }
    }

    public let tokens: Int
    public let context: Int
    public let stride: Int
    public let windows: [Window]

    public init(tokens: Int, context: Int, stride: Int) throws {
        guard context >= 2 else { throw EvalError("--context \(context) is too small; a window needs at least 2 tokens") }
        guard stride >= 1, stride <= context else {
            throw EvalError("--stride \(stride) must be between 1 and the context, \(context)")
        }
        guard tokens >= context else {
            throw EvalError("the text has \(tokens) tokens, fewer than one window of \(context); give more text or a smaller --context")
        }
        self.tokens = tokens
        self.context = context
        self.stride = stride
        var windows: [Window] = []
        var previousEnd = 0
        for begin in Swift.stride(from: 0, to: tokens, by: stride) {
            let end = min(begin + context, tokens)
            windows.append(Window(begin: begin, end: end, scoredFrom: max(previousEnd, begin + 1)))
            previousEnd = end
            if end == tokens { break }
        }
        self.windows = windows
    }

    /// Targets scored over all windows.
    public var scoredTokens: Int { windows.reduce(0) { $0 + $1.end - $1.scoredFrom } }
    /// Tokens run through the model over all windows.
    public var forwardTokens: Int { windows.reduce(0) { $0 + $1.end - $1.begin } }
}
