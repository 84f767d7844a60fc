import RSRCore
import RSRFormat

/// A projection of n-bit integer weights in scale groups (a float model quantized here, or a
/// compressed-tensors or GPTQ checkpoint): each input row quantized to int8 with its own absmax scale s,
/// one bit-plane product that applies the weight scales group by group, then y / s (+ bias).
final class IntegerLinear: Projection {
    let rows: Int
    let cols: Int
    private let planes: BitPlaneLayout
    private let bias: UnsafeBufferPointer<Float>?

    init(_ entry: IntegerLinearEntry, file: ModelFile, vectors: VectorTable) throws {
        planes = try file.bitPlanes(entry)
        rows = entry.rows
        cols = entry.cols
        bias = try entry.bias.map { try vectors.vector($0, length: entry.rows) }
    }

    func callAsFunction(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, scratch: Scratch,
                        pool: ThreadPool) throws {
        try TransformerKernels.quantize(x, rows: batch, cols: cols, into: scratch.quantized, scales: scratch.scales, pool: pool)
        try planes.multiply(scratch.quantized, batch: batch, into: y, workspace: scratch.workspace, pool: pool)
        for b in 0..<batch {
            let s = scratch.scales[b], out = y + b * rows
            for r in 0..<rows { out[r] /= s }
            if let bias { for r in 0..<rows { out[r] += bias[r] } }
        }
    }

    var decodeBytes: Int { planes.byteCount }
}
