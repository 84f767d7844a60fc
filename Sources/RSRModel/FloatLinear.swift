import RSRCore
import RSRFormat

/// A projection of a float model, kept as the checkpoint stored it (F32, F16 or BF16) and computed in f32
/// activations: y = W x (+ bias), as transformers' nn.Linear computes it in float32.
final class FloatLinear: Projection {
    let rows: Int
    let cols: Int
    private let weight: DenseTensor
    private let bias: UnsafeBufferPointer<Float>?

    init(_ weight: DenseTensor, bias: UnsafeBufferPointer<Float>?) {
        self.weight = weight
        rows = weight.rows
        cols = weight.cols
        self.bias = bias
    }

    func callAsFunction(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, scratch: Scratch,
                        pool: ThreadPool) throws {
        try weight.multiply(x, batch: batch, into: y, workspace: scratch.workspace, pool: pool)
        if let bias {
            for b in 0..<batch {
                let out = y + b * rows
                for r in 0..<rows { out[r] += bias[r] }
            }
        }
    }

    var decodeBytes: Int { weight.bytes }
}
