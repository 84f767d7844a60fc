import RSRCore
import RSRFormat

/// One of a block's projections: y[batch][rows] from x[batch][cols].
protocol Projection: AnyObject {
    var rows: Int { get }
    var cols: Int { get }
    func callAsFunction(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, scratch: Scratch,
                        pool: ThreadPool) throws
    /// Bytes of weights a single-vector product reads.
    var decodeBytes: Int { get }
}

/// A ternary projection as BitNet's BitLinear computes it: each input row quantized to int8 with its own
/// absmax scale, an exact integer product through the kernel library, then both scales applied.
final class Linear: Projection {
    let rows: Int
    let cols: Int
    private let decode: Layout
    private let prefill: Layout
    /// The baseline that replaces both layouts, when one is measured.
    private let baseline: BaselineProduct?
    private let kernel: ProductKernel
    private let scale: Float
    private let mode: LinearEntry.ScaleMode
    private let bias: UnsafeBufferPointer<Float>?
    /// RMSNorm weight applied to the input first (`use_rms_norm`), and its epsilon.
    private let inputNorm: (weight: UnsafeBufferPointer<Float>, eps: Float)?

    init(_ entry: LinearEntry, file: ModelFile, vectors: VectorTable, inputNormEps: Float?, kernel: ProductKernel = .index) throws {
        guard let decodeEntry = entry.layout(for: .decode), let prefillEntry = entry.layout(for: .prefill) else {
            throw ModelError("\(file.path): a linear lacks a decode or prefill layout")
        }
        decode = try file.layout(decodeEntry)
        prefill = prefillEntry == decodeEntry ? decode : try file.layout(prefillEntry)
        rows = entry.rows
        cols = entry.cols
        self.kernel = kernel
        baseline = kernel == .index ? nil : try BaselineProduct(kernel, from: decode)
        scale = entry.scale
        mode = entry.scaleMode
        bias = try entry.bias.map { try vectors.vector($0, length: entry.rows) }
        if let name = entry.inputNorm {
            guard let eps = inputNormEps else { throw ModelError("\(file.path): \(name) is given but the model has no input-norm epsilon") }
            inputNorm = (try vectors.vector(name, length: entry.cols), eps)
        } else {
            inputNorm = nil
        }
    }

    /// y[batch][rows] = this projection of x[batch][cols].
    func callAsFunction(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, scratch: Scratch,
                        pool: ThreadPool) throws {
        var input = x
        if let (weight, eps) = inputNorm {
            Norms.rms(x, rows: batch, cols: cols, weight: weight, eps: eps, into: scratch.linearInput, pool: pool)
            input = UnsafePointer(scratch.linearInput)
        }
        try TransformerKernels.quantize(input, rows: batch, cols: cols, into: scratch.quantized, scales: scratch.scales, pool: pool)
        try multiplyQuantized(batch: batch, into: y, scratch: scratch, pool: pool)
    }

    /// y from the input already quantized into scratch.quantized and scratch.scales.
    private func multiplyQuantized(batch: Int, into y: UnsafeMutablePointer<Float>, scratch: Scratch, pool: ThreadPool) throws {
        if let baseline {
            try baseline.multiply(scratch.quantized, batch: batch, into: scratch.products, scratch: scratch, pool: pool)
        } else {
            try layout(batch: batch, isa: pool.isa).multiply(scratch.quantized, batch: batch, into: scratch.products, workspace: scratch.workspace, pool: pool)
        }
        rescale(scratch.products, batch: batch, scales: scratch.scales, into: y, pool: pool)
    }

    /// Several projections of one input (a layer's q, k and v, or gate and up), each into its own output:
    /// the same floats as one call each. Linears that quantize the input alike share the quantization; those
    /// whose layouts for this batch are all rsr-t, all classical RSR or all packed-i2 also run as one product
    /// (Layout.multiply of several, which shares what it can); anything else runs one by one.
    static func project(_ projections: [any Projection], _ x: UnsafePointer<Float>, batch: Int, into y: [UnsafeMutablePointer<Float>],
                        scratch: Scratch, pool: ThreadPool) throws {
        let linears = projections.compactMap { $0 as? Linear }
        guard linears.count == projections.count, linears.count > 1, let first = linears.first,
              linears.allSatisfy({ $0.inputNorm == nil && $0.cols == first.cols }) else {
            for (projection, out) in zip(projections, y) { try projection(x, batch: batch, into: out, scratch: scratch, pool: pool) }
            return
        }
        try TransformerKernels.quantize(x, rows: batch, cols: first.cols, into: scratch.quantized, scales: scratch.scales, pool: pool)
        guard linears.allSatisfy({ $0.baseline == nil }), runAsOne(linears.map { $0.layout(batch: batch, isa: pool.isa).kind }),
              batch * linears.reduce(0, { $0 + $1.rows }) <= scratch.productsCapacity else {
            // one product each, from the one quantization (no product writes the quantized input)
            for (linear, out) in zip(linears, y) { try linear.multiplyQuantized(batch: batch, into: out, scratch: scratch, pool: pool) }
            return
        }
        var offset = 0
        let products = linears.map { linear in
            defer { offset += batch * linear.rows }
            return scratch.products + offset
        }
        try Layout.multiply(linears.map { $0.layout(batch: batch, isa: pool.isa) }, scratch.quantized, batch: batch, into: products,
                            workspace: scratch.workspace, pool: pool)
        for ((linear, acc), out) in zip(zip(linears, products), y) {
            linear.rescale(acc, batch: batch, scales: scratch.scales, into: out, pool: pool)
        }
    }

    /// Whether layouts of these kinds go to Layout.multiply together: all rsr-t, all classical RSR or all
    /// packed-i2 (the kernel library shares the tables, the transposed or padded input where their widths and
    /// k allow, and runs them as one job).
    private static func runAsOne(_ kinds: [LayoutKind]) -> Bool {
        kinds.allSatisfy { $0 == .rsrT } || kinds.allSatisfy { $0 == .packedI2 }
            || kinds.allSatisfy { if case .rsr = $0 { true } else { false } }
    }

    /// y = the int32 products scaled back to floats, per vector, in the order of operations of transformers'
    /// AutoBitLinear (x / s, then * weight_scale) or BitLinear (/ (weight_scale * s)).
    private func rescale(_ products: UnsafePointer<Int32>, batch: Int, scales: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                         pool: ThreadPool) {
        TransformerKernels.rescale(products, batch: batch, rows: rows, scales: scales, weightScale: scale, divide: mode == .divide,
                                   bias: bias?.baseAddress, into: y, pool: pool)
    }

    /// Bytes of weights a single-vector product reads.
    var decodeBytes: Int { kernel.bytes(rows: rows, cols: cols, index: decode.byteCount) }

    /// Batches smaller than this run through the decode layout when the prefill layout is classical RSR.
    /// Its batch kernel keeps the batch in SIMD lanes, 64 vectors to a tile, and costs about the same from
    /// batch 2 to 32 (rsr bench kernels, 2 threads, 2560x2560: 871 us at batch 2 and 898 at 32, against
    /// rsr-t's 65 and 797; 2560x6912: 1977 and 2075, against 184 and 2168). AVX2 has narrow tiles of 8 to 32
    /// vectors instead (rsr-batch.h), which from 8 vectors beat a decode layout that AVX2 has no kernel for
    /// (rsr-t). packed-i2, the decode layout on AVX2, looks 4 or more vectors up in tables and stays ahead of
    /// the narrow tiles below 40 (docs/BENCHMARKS.md, AMD Zen 1, 2 threads: 1.6-2.2x at 8, 1.1-1.8x at 16,
    /// 0.9-1.2x at 32 and 40, 0.7x at 64). sparse-i2, a relu² model's down projection there, takes a batch
    /// in groups of up to 16 vectors that share each row block's reads; vector by vector it already matched
    /// packed-i2 from 1 to 64 vectors (2560x6912, 67% zeros: 1245 against 1186 us at 8, 5642 against 5928
    /// at 40), and in groups 1022-1035 against 1004-1006 at 8 and 1922-1933 against 1987-2045 at 16. All
    /// give the same integers.
    static func classicalFromBatch(_ isa: ISA, decode: LayoutKind) -> Int {
        guard isa == .avx2 else { return 32 }
        return decode == .packedI2 || decode == .sparseI2 ? 40 : 8
    }

    /// The layout a batch of `batch` vectors runs through on `isa`.
    private func layout(batch: Int, isa: ISA) -> Layout {
        guard batch > 1 else { return decode }
        if case .rsr = prefill.kind, batch < Self.classicalFromBatch(isa, decode: decode.kind) { return decode }
        return prefill
    }
}
