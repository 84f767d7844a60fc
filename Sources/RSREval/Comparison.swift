import Foundation
import RSRModel

/// How far a model's next-token distributions are from a reference's over the same windows: KL(ref ‖ model)
/// per scored position (natural log), top-1 agreement, and each one's perplexity.
public struct ComparisonResult: Sendable, Codable {
    public var meanKL: Double
    public var p99KL: Double
    public var maxKL: Double
    /// Share of scored positions where both put the same token first.
    public var top1Agreement: Double
    public var perplexity: Double
    public var referencePerplexity: Double
    public var scoredTokens: Int
    public var context: Int
    public var stride: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case meanKL = "mean_kl", p99KL = "p99_kl", maxKL = "max_kl", top1Agreement = "top1_agreement"
        case perplexity, referencePerplexity = "reference_perplexity", scoredTokens = "scored_tokens", context, stride, seconds
    }
}

public enum Comparison {
    /// Runs `model` and `reference` on every window of `windows` over `tokens`.
    public static func evaluate(_ model: any LanguageModel, reference: any LanguageModel, tokens: [Int], windows: SlidingWindows,
                                progress: (Int, Int) -> Void = { _, _ in }) throws -> ComparisonResult {
        let vocabulary = model.config.vocabSize
        guard reference.config.vocabSize == vocabulary else {
            throw EvalError("the reference has a vocabulary of \(reference.config.vocabSize) tokens and the model \(vocabulary); they must be the same")
        }
        let start = Date()
        var divergences: [Double] = []
        divergences.reserveCapacity(windows.scoredTokens)
        var agreed = 0, nll = 0.0, referenceNLL = 0.0
        var p: [Double] = [], q: [Double] = []
        try WindowPass.forEachScoredToken([reference, model], tokens: tokens, windows: windows, progress: progress) { target, rows in
            let (expected, actual) = (rows[0], rows[1])
            LogSoftmax.apply(expected, into: &p)
            LogSoftmax.apply(actual, into: &q)
            var kl = 0.0
            for i in 0..<vocabulary where p[i] > -745 { kl += exp(p[i]) * (p[i] - q[i]) }
            divergences.append(max(kl, 0))
            referenceNLL -= p[target]
            nll -= q[target]
            if LogSoftmax.argmax(expected) == LogSoftmax.argmax(actual) { agreed += 1 }
        }
        let n = Double(divergences.count)
        let sorted = divergences.sorted()
        return ComparisonResult(meanKL: divergences.reduce(0, +) / n, p99KL: Self.percentile(sorted, 0.99), maxKL: sorted.last ?? 0,
                                top1Agreement: Double(agreed) / n, perplexity: exp(nll / n), referencePerplexity: exp(referenceNLL / n),
                                scoredTokens: divergences.count, context: windows.context, stride: windows.stride,
                                seconds: Date().timeIntervalSince(start))
    }

    /// The value below which a share `q` of the sorted values lie (linear between neighbours, as numpy's default).
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let at = q * Double(sorted.count - 1), low = Int(at), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (at - Double(low))
    }
}
