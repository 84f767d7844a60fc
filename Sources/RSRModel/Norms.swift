import Foundation

/// RMSNorm and the GLU activations, in f32 as transformers computes them.
enum Norms {
    /// out[r] = weight * x[r] / sqrt(mean(x[r]^2) + eps).
    static func rms(_ x: UnsafePointer<Float>, rows: Int, cols: Int, weight: UnsafeBufferPointer<Float>, eps: Float,
                    into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * cols, dst = out + r * cols
            // The next step rounds x * 127 / max|x| to integers, so roundings here decide some of those:
            // the sum in f64 (close to the f32 cascade sum of the reference) and a division by the root
            // rather than a multiplication by its inverse reproduce transformers' tokens.
            var partial: (Double, Double, Double, Double) = (0, 0, 0, 0)  // four chains instead of one long one
            var c = 0
            while c + 4 <= cols {
                partial.0 += Double(row[c]) * Double(row[c])
                partial.1 += Double(row[c + 1]) * Double(row[c + 1])
                partial.2 += Double(row[c + 2]) * Double(row[c + 2])
                partial.3 += Double(row[c + 3]) * Double(row[c + 3])
                c += 4
            }
            while c < cols {
                partial.0 += Double(row[c]) * Double(row[c])
                c += 1
            }
            let sum = (partial.0 + partial.1) + (partial.2 + partial.3)
            let root = (Float(sum / Double(cols)) + eps).squareRoot()
            for c in 0..<cols { dst[c] = weight[c] * (row[c] / root) }
        }
    }

    /// gate = act(gate) * up, element-wise over n values.
    static func glu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int, activation: Activation) {
        switch activation {
        case .relu2:
            for i in 0..<count {
                let g = max(gate[i], 0)
                gate[i] = g * g * up[i]
            }
        case .silu:
            for i in 0..<count {
                let g = gate[i]
                gate[i] = g * (1 / (1 + expf(-g))) * up[i]
            }
        }
    }

    enum Activation { case relu2, silu }
}
