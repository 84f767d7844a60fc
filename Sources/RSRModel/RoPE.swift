import Foundation
import RSRCore
import RSRFormat

/// Rotary position embeddings in transformers' rotate-half convention: dimension i and i + d/2 of each
/// head rotate together by position x inv_freq[i].
public struct RoPE {
    public let headDim: Int
    /// inv_freq[i] for dimension pairs (i, i + headDim / 2).
    public let inverseFrequencies: [Float]

    public init(config c: ModelConfig) {
        headDim = c.headDim
        // as transformers: 1 / theta^(arange(0, d, 2) / d) in f32
        var inv = (0..<c.headDim / 2).map { i in Float(1) / powf(Float(c.ropeTheta), Float(2 * i) / Float(c.headDim)) }
        if let s = c.ropeScaling {
            switch s.kind {
            case .linear: inv = inv.map { $0 / Float(s.factor) }
            case .llama3: inv = Self.llama3(inv, s)
            }
        }
        inverseFrequencies = inv
    }

    /// transformers' _compute_llama3_parameters: long wavelengths slowed by `factor`, short ones kept,
    /// the band between interpolated.
    private static func llama3(_ inv: [Float], _ s: ModelConfig.RopeScaling) -> [Float] {
        let factor = Float(s.factor), low = Float(s.lowFreqFactor ?? 1), high = Float(s.highFreqFactor ?? 4)
        let original = Float(s.originalMaxPositionEmbeddings ?? 8192)
        let lowWavelength = original / low, highWavelength = original / high
        return inv.map { f in
            let wavelength = 2 * Float.pi / f
            if wavelength > lowWavelength { return f / factor }
            if wavelength < highWavelength { return f }
            let smooth = (original / wavelength - low) / (high - low)
            return (1 - smooth) * f / factor + smooth * f
        }
    }

    /// The rotations of each row at its own position (rows of several sequences at once), for every layer's q and k.
    func rotations(positions: [Int]) -> Rotations {
        let half = headDim / 2
        var cos = [Float](repeating: 0, count: positions.count * half), sin = cos
        for (t, p) in positions.enumerated() {
            let position = Float(p)
            for i in 0..<half {
                let angle = position * inverseFrequencies[i]
                cos[t * half + i] = cosf(angle)
                sin[t * half + i] = sinf(angle)
            }
        }
        return Rotations(headDim: headDim, tokens: positions.count, cos: cos, sin: sin)
    }

    /// cos and sin of each dimension pair's angle at the rows' positions, [row][pair]: computed once per
    /// step for q and k of every layer, which computed them anew (2 x layers x headDim / 2 pairs of `cosf`
    /// and `sinf` a decoded token). The same floats either way.
    struct Rotations {
        let headDim: Int, tokens: Int
        let cos: [Float], sin: [Float]

        /// Rotates `heads` heads of each of the `tokens` rows of x (row stride heads * headDim): dimensions
        /// a = x[i], b = x[i + d/2] become a cos - b sin and b cos + a sin (rsr_rope_f32).
        func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, pool: ThreadPool?) {
            cos.withUnsafeBufferPointer { cos in
                sin.withUnsafeBufferPointer { sin in
                    TransformerKernels.rope(x, tokens: tokens, heads: heads, headDim: headDim, cos: cos.baseAddress!,
                                            sin: sin.baseAddress!, pool: pool)
                }
            }
        }
    }
}
