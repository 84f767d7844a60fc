/// Log-probabilities of a row of logits, in double precision so that sums over thousands of tokens and
/// differences of nearly equal distributions keep their digits.
enum LogSoftmax {
    /// log p[i] = x[i] - logsumexp(x), into `out` (resized to the row's length).
    static func apply(_ logits: ArraySlice<Float>, into out: inout [Double]) {
        out.removeAll(keepingCapacity: true)
        let norm = logSumExp(logits)
        for x in logits { out.append(Double(x) - norm) }
    }

    /// -log p[target] of one row.
    static func nll(_ logits: ArraySlice<Float>, target: Int) -> Double {
        logSumExp(logits) - Double(logits[logits.startIndex + target])
    }

    /// log Σ exp(x), shifted by the largest x so that no term overflows.
    private static func logSumExp(_ logits: ArraySlice<Float>) -> Double {
        let peak = Double(logits.max() ?? 0)
        var sum = 0.0
        for x in logits { sum += exp(Double(x) - peak) }
        return peak + log(sum)
    }

    /// Index of the largest logit (the first of equals, as torch.argmax).
    static func argmax(_ logits: ArraySlice<Float>) -> Int {
        var best = logits.startIndex
        for i in logits.indices where logits[i] > logits[best] { best = i }
        return best - logits.startIndex
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
