import Foundation
import RSRCore

/// RMSNorm and the GLU activations, in f32 as transformers computes them.
enum Norms {
    /// out[r] = weight * x[r] / sqrt(mean(x[r]^2) + eps), rows split over the pool. The roundings follow
    /// transformers' (see rsr_rms_norm_f32): the next step rounds x * 127 / max|x| to integers, so they
    /// decide some of those.
    static func rms(_ x: UnsafePointer<Float>, rows: Int, cols: Int, weight: UnsafeBufferPointer<Float>, eps: Float,
                    into out: UnsafeMutablePointer<Float>, pool: ThreadPool?) {
        TransformerKernels.rmsNorm(x, rows: rows, cols: cols, weight: weight, eps: eps, into: out, pool: pool)
    }

    /// gate = act(gate) * up, element-wise over n values.
    static func glu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int, activation: Activation,
                    pool: ThreadPool?) {
        switch activation {
        case .relu2:
            TransformerKernels.relu2Mul(gate, up, count: count, pool: pool) // max(g, 0)² * up
        case .silu:
            TransformerKernels.siluMul(gate, up, count: count, pool: pool) // g * (1 / (1 + expf(-g))) * up
        }
    }

    enum Activation { case relu2, silu }
}
