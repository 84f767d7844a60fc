import RSRModel

/// Runs one window through a model as consecutive calls of the same sequence, each asking for the logits
/// of at most `rowsPerCall` positions, so that a long window over a large vocabulary never holds all its
/// logits at once.
struct WindowPass {
    let window: SlidingWindows.Window
    let rowsPerCall: Int

    /// The window's calls: tokens to run (window-relative) and the positions among them that get logits.
    var calls: [(run: Range<Int>, logits: Range<Int>)] {
        let length = window.end - window.begin, wanted = window.logitPositions
        var calls: [(Range<Int>, Range<Int>)] = []
        var start = 0
        while start < length {
            let end = start == 0 ? min(length, wanted.lowerBound + rowsPerCall) : min(length, start + rowsPerCall)
            calls.append((start..<end, wanted.clamped(to: start..<end)))
            start = end
        }
        return calls
    }

    /// One call: the logits of `call.logits` after running `call.run` of the window.
    func run(_ model: any LanguageModel, _ tokens: [Int], _ call: (run: Range<Int>, logits: Range<Int>)) throws -> Logits {
        let ids = Array(tokens[window.begin + call.run.lowerBound..<window.begin + call.run.upperBound])
        return try model.advance(ids, logitsAt: call.logits.lowerBound - call.run.lowerBound..<call.logits.upperBound - call.run.lowerBound)
    }

    /// Rows per call that keep one call's logits near 64 MiB.
    static func rowsPerCall(vocabulary: Int) -> Int { max(1, (16 << 20) / max(vocabulary, 1)) }

    /// Runs every window of `windows` over `tokens` through each of `models` on the same calls (every window
    /// from an empty sequence) and hands `body` each scored target with the row of logits each model
    /// predicted it from, in the order of `models`; `progress` gets (windows done, windows in all).
    static func forEachScoredToken(_ models: [any LanguageModel], tokens: [Int], windows: SlidingWindows,
                                   progress: (Int, Int) -> Void,
                                   body: (_ target: Int, _ rows: [ArraySlice<Float>]) throws -> Void) throws {
        precondition(tokens.count == windows.tokens)
        let rowsPerCall = Self.rowsPerCall(vocabulary: models.map(\.config.vocabSize).max() ?? 1)
        for (index, window) in windows.windows.enumerated() {
            let pass = WindowPass(window: window, rowsPerCall: rowsPerCall)
            for model in models { try model.beginSequence(capacity: window.end - window.begin) }
            for call in pass.calls {
                let logits = try models.map { try pass.run($0, tokens, call) }
                for position in call.logits {
                    let row = position - call.run.lowerBound
                    try body(tokens[window.begin + position + 1], logits.map { $0[position: row] })
                }
            }
            progress(index + 1, windows.windows.count)
        }
    }
}
