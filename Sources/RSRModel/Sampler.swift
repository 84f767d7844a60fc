import Foundation
import RSRCore

/// How the next token is chosen, with transformers' semantics and order: repetition penalty, then
/// temperature, top-k, top-p, and a draw from the remaining distribution (or argmax when greedy).
public struct SamplingOptions: Sendable, Equatable {
    public var greedy = true
    public var temperature: Float = 1
    public var topK: Int?
    public var topP: Float?
    public var repetitionPenalty: Float?
    public var seed: UInt64 = 0

    public init() {}

    /// The first problem with the values, as a sentence naming the option; nil when they are usable.
    public var problem: String? {
        if !(temperature > 0 && temperature.isFinite) { return "temperature must be a positive number" }
        if let k = topK, k < 1 { return "top-k must be at least 1" }
        if let p = topP, !(p > 0 && p <= 1) { return "top-p must be in (0, 1]" }
        if let r = repetitionPenalty, !(r > 0 && r.isFinite) { return "repetition penalty must be a positive number" }
        return nil
    }
}

/// Picks tokens from logits; reproducible from the options' seed.
public struct Sampler {
    public let options: SamplingOptions
    private var rng: SplitMix64
    private var candidates: [(id: Int, logit: Float)] = []

    public init(_ options: SamplingOptions) {
        self.options = options
        rng = SplitMix64(seed: options.seed)
    }

    /// The next token after `history` (prompt and generated ids, for the repetition penalty). Modifies
    /// the logits in place.
    public mutating func next(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int]) -> Int {
        if let penalty = options.repetitionPenalty, penalty != 1 {
            // transformers' RepetitionPenaltyLogitsProcessor: once per distinct token seen
            for id in Set(history) where id >= 0 && id < logits.count {
                logits[id] = logits[id] < 0 ? logits[id] * penalty : logits[id] / penalty
            }
        }
        if options.greedy { return TransformerKernels.argmax(UnsafeBufferPointer(logits)) }
        candidates.removeAll(keepingCapacity: true)
        for (id, logit) in logits.enumerated() { candidates.append((id, logit / options.temperature)) }
        candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        if let k = options.topK, k < candidates.count {
            let threshold = candidates[k - 1].logit
            var keep = k
            while keep < candidates.count && candidates[keep].logit == threshold { keep += 1 }  // ties stay, as in transformers
            candidates.removeLast(candidates.count - keep)
        }
        let maxLogit = candidates[0].logit
        var probabilities = candidates.map { exp(Double($0.logit - maxLogit)) }
        var total = probabilities.reduce(0, +)
        if let p = options.topP, p < 1 {
            // keep the most likely tokens whose cumulative probability first reaches p (at least one)
            var cumulative = 0.0, keep = 0
            while keep < probabilities.count {
                cumulative += probabilities[keep] / total
                keep += 1
                if cumulative >= Double(p) { break }
            }
            probabilities.removeLast(probabilities.count - keep)
            total = probabilities.reduce(0, +)
        }
        let draw = Double(rng.next() >> 11) / Double(1 << 53) * total
        var cumulative = 0.0
        for (i, probability) in probabilities.enumerated() {
            cumulative += probability
            if draw < cumulative { return candidates[i].id }
        }
        return candidates[probabilities.count - 1].id
    }
}
