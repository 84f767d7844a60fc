import RSRCore

/// How a model's ternary projections are computed. `index` is rsr itself: the file's decode and prefill
/// layouts. The others are the baselines `rsr bench generate` measures it against, built at load time from
/// the same ternary values, so every kernel produces the same integers and the same tokens.
public enum ProductKernel: String, CaseIterable, Sendable, CustomStringConvertible {
    case index
    /// 2-bit packed weights with integer SIMD for every batch size (bitnet.cpp I2_S, llama.cpp TQ2_0).
    case packedI2 = "packed-i2"
    /// transformers' BitLinear on packed weights: unpack to float on every call, then OpenBLAS.
    case hfUnpack = "hf-unpack"
    /// The ternary values as f32 through OpenBLAS: what a float checkpoint costs.
    case openblasF32 = "openblas-f32"

    public var description: String { rawValue }

    /// Bytes of weights one product reads with this kernel, for a matrix of `rows` x `cols`.
    func bytes(rows: Int, cols: Int, index: Int) -> Int {
        switch self {
        case .index: index
        case .packedI2, .hfUnpack: (rows * cols + 3) / 4
        case .openblasF32: rows * cols * 4
        }
    }
}

/// A baseline's copy of one projection's weights and the product through it.
final class BaselineProduct {
    private enum Weights {
        case packed(Layout)
        case dense(DenseMatrix)
        case hf(HFPackedMatrix)
    }
    private let weights: Weights
    let rows: Int
    let cols: Int

    init(_ kernel: ProductKernel, from layout: Layout) throws {
        precondition(kernel != .index)
        let matrix = try layout.unpack()
        rows = matrix.rows
        cols = matrix.cols
        switch kernel {
        case .packedI2: weights = .packed(try Layout(matrix, as: .packedI2))
        case .hfUnpack: weights = .hf(try HFPackedMatrix(matrix))
        default: weights = .dense(DenseMatrix(matrix))
        }
    }

    /// y = W q for int8 rows q; the float kernels see q as floats, and their sums of at most 2^24 are exact.
    func multiply(_ q: UnsafePointer<Int8>, batch: Int, into y: UnsafeMutablePointer<Int32>, scratch: Scratch, pool: ThreadPool) throws {
        if case .packed(let layout) = weights {
            try layout.multiply(q, batch: batch, into: y, workspace: scratch.workspace, pool: pool)
            return
        }
        let x = scratch.baselineInput, out = scratch.baselineOutput
        for i in 0..<batch * cols { x[i] = Float(q[i]) }
        switch weights {
        case .hf(let matrix): try matrix.multiply(x, batch: batch, into: out, scratch: scratch.unpacked(rows * cols * 4), pool: pool)
        case .dense(let matrix):
            pool.park() // OpenBLAS runs its own threads on these cores
            try matrix.multiplyBLAS(x, batch: batch, into: out, threads: pool.threads)
        case .packed: break
        }
        for i in 0..<batch * rows { y[i] = Int32(out[i]) }
    }
}
