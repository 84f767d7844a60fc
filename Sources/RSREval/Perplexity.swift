import Foundation
import RSRModel

/// The perplexity of a model over a tokenized text by the sliding-window recipe.
public struct PerplexityResult: Sendable, Codable {
    public var perplexity: Double
    public var meanNLL: Double
    public var nllSum: Double
    public var scoredTokens: Int
    public var textTokens: Int
    public var context: Int
    public var stride: Int
    public var windows: Int
    /// Tokens run through the model, per second of the whole evaluation.
    public var tokensPerSecond: Double
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case perplexity, meanNLL = "mean_nll", nllSum = "nll_sum", scoredTokens = "scored_tokens", textTokens = "text_tokens"
        case context, stride, windows, tokensPerSecond = "tok_s", seconds
    }
}

public enum Perplexity {
    /// Runs every window of `windows` over `tokens` (the text's ids, the tokenizer's <s> first);
    /// `progress` gets (windows done, windows in all).
    public static func evaluate(_ model: any LanguageModel, tokens: [Int], windows: SlidingWindows,
                                progress: (Int, Int) -> Void = { _, _ in }) throws -> PerplexityResult {
        let start = Date()
        var nllSum = 0.0, scored = 0
        try WindowPass.forEachScoredToken([model], tokens: tokens, windows: windows, progress: progress) { target, rows in
            nllSum += LogSoftmax.nll(rows[0], target: target)
            scored += 1
        }
        let seconds = Date().timeIntervalSince(start)
        let mean = nllSum / Double(scored)
        return PerplexityResult(perplexity: exp(mean), meanNLL: mean, nllSum: nllSum, scoredTokens: scored, textTokens: tokens.count,
                                context: windows.context, stride: windows.stride, windows: windows.windows.count,
                                tokensPerSecond: Double(windows.forwardTokens) / max(seconds, 1e-9), seconds: seconds)
    }
}
