import CRSRKernels

/// Element types of dense tensors (embeddings, the output head), named as model files name them.
public enum DenseType: String, CaseIterable, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", q8Row = "Q8_ROW", q4_32 = "Q4_32", q6_256 = "Q6_256"

    /// F32, F16 or BF16: the values themselves, multiplied in float.
    public var isFloat: Bool { self == .f32 || self == .f16 || self == .bf16 }

    var raw: rsr_dtype {
        switch self {
        case .f32: RSR_DTYPE_F32
        case .f16: RSR_DTYPE_F16
        case .bf16: RSR_DTYPE_BF16
        case .q8Row: RSR_DTYPE_Q8_ROW
        case .q4_32: RSR_DTYPE_Q4_32
        case .q6_256: RSR_DTYPE_Q6_256
        }
    }
}

/// A rows x cols tensor used in place (from a mapped file), kept valid by `owner`: row lookups for the
/// embeddings and matrix-vector products for the output head.
public struct DenseTensor: @unchecked Sendable {
    public let type: DenseType
    public let rows: Int
    public let cols: Int
    let base: UnsafeRawPointer
    let byteCount: Int
    private let owner: AnyObject

    public init(_ type: DenseType, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer, owner: AnyObject) throws {
        let what = "a \(rows)x\(cols) \(type.rawValue) tensor of \(bytes.count) bytes"
        var need: UInt64 = 0
        try check(rsr_dense_size(type.raw, UInt32(clamping: rows), UInt32(clamping: cols), &need), what)
        guard let base = bytes.baseAddress, UInt64(bytes.count) == need else { throw KernelError(operation: what, status: RSR_ERR_BUFFER) }
        self.type = type
        self.rows = rows
        self.cols = cols
        self.base = base
        self.byteCount = bytes.count
        self.owner = owner
    }

    /// Bytes a rows x cols tensor of `type` takes (the kernel library's rule), or nil when the type cannot
    /// hold that shape or it is past the kernels' limits.
    public static func byteCount(_ type: DenseType, rows: Int, cols: Int) -> Int? {
        guard rows > 0, cols > 0, rows <= Int(UInt32.max), cols <= Int(UInt32.max) else { return nil }
        var bytes: UInt64 = 0
        guard rsr_dense_size(type.raw, UInt32(rows), UInt32(cols), &bytes) == RSR_OK else { return nil }
        return Int(bytes)
    }

    /// Row `row` as f32 into `out` (cols floats).
    public func row(_ row: Int, into out: UnsafeMutablePointer<Float>) throws {
        guard row >= 0, row < rows else { throw KernelError(operation: "row \(row) of \(rows)", status: RSR_ERR_SHAPE) }
        try check(rsr_dense_row(type.raw, base, UInt64(byteCount), UInt32(rows), UInt32(cols), UInt32(row), out), "reading row \(row)")
    }

    /// y[rows] = W x for one vector x[cols].
    public func multiply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, workspace: Workspace, pool: ThreadPool?) throws {
        try multiply(x, batch: 1, into: y, workspace: workspace, pool: pool)
    }

    /// y[batch][rows] = W x[b] for each vector of x[batch][cols].
    public func multiply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, workspace: Workspace,
                         pool: ThreadPool?) throws {
        var need: UInt64 = 0
        try check(rsr_dense_batch_work_size(type.raw, UInt32(cols), UInt32(clamping: batch), &need), "sizing a \(type.rawValue) product")
        let work = workspace.reserve(Int(need))
        try check(rsr_dense_matmul(type.raw, base, UInt64(byteCount), UInt32(rows), UInt32(cols), x, UInt32(clamping: batch), y,
                                   work.pointer, UInt64(work.count), pool?.raw), "\(type.rawValue) \(rows)x\(cols) product of \(batch)")
    }

    /// Bytes one product reads.
    public var bytes: Int { byteCount }
}

/// The float steps between ternary products that are worth C: activation quantization and attention.
public enum TransformerKernels {
    /// q[r] = clamp(round_half_even(x[r] * s[r]), -128, 127) with s[r] = 127 / max(max|x[r]|, 1e-5).
    public static func quantize(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into q: UnsafeMutablePointer<Int8>,
                                scales: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil) throws {
        try check(rsr_quantize_i8_rows(x, UInt32(clamping: rows), UInt32(clamping: cols), q, scales, pool?.raw),
                  "quantizing \(rows)x\(cols) activations")
    }

    /// y[v][r] = the int32 sums acc[v][r] back to floats: (Float(acc) / scales[v]) * weightScale, or with
    /// `divide` Float(acc) / (weightScale * scales[v]); then + bias[r] (rsr_rescale_i32). Batches split over the pool.
    public static func rescale(_ acc: UnsafePointer<Int32>, batch: Int, rows: Int, scales: UnsafePointer<Float>, weightScale: Float,
                               divide: Bool, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, pool: ThreadPool?) {
        guard batch > 0, rows > 0 else { return }
        let status = rsr_rescale_i32(acc, UInt32(clamping: batch), UInt32(clamping: rows), scales, weightScale,
                                     divide ? RSR_RESCALE_DIVIDE : RSR_RESCALE_MULTIPLY, bias, y, pool?.raw)
        precondition(status == RSR_OK, "rescaling \(batch)x\(rows) sums: status \(status.rawValue)")
    }

    /// out[r] = weight * x[r] / sqrt(mean(x[r]^2) + eps) for rows x[rows][cols], transformers' f32 RMSNorm
    /// (rsr_rms_norm_f32), rows split over the pool.
    public static func rmsNorm(_ x: UnsafePointer<Float>, rows: Int, cols: Int, weight: UnsafeBufferPointer<Float>, eps: Float,
                               into out: UnsafeMutablePointer<Float>, pool: ThreadPool?) {
        guard rows > 0, cols > 0 else { return }
        let status = rsr_rms_norm_f32(x, UInt32(clamping: rows), UInt32(clamping: cols), weight.baseAddress!, eps, out, pool?.raw)
        precondition(status == RSR_OK, "RMSNorm of \(rows)x\(cols): status \(status.rawValue)")
    }

    /// The index of the first largest value (NaNs never win, unless the first value is NaN: then 0), as a
    /// scan keeping the first strictly larger value finds it (rsr_argmax_f32, vectorized).
    public static func argmax(_ x: UnsafeBufferPointer<Float>) -> Int {
        guard let base = x.baseAddress, !x.isEmpty else { return 0 }
        var index: UInt64 = 0
        let status = rsr_argmax_f32(base, UInt64(x.count), &index)
        precondition(status == RSR_OK, "argmax of \(x.count) values: status \(status.rawValue)")
        return Int(index)
    }

    /// gate[i] = gate[i] * (1 / (1 + expf(-gate[i]))) * up[i]: transformers' SiLU GLU in f32, with glibc's
    /// expf to the bit (rsr_silu_mul_f32), large arrays split over the pool.
    public static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int, pool: ThreadPool?) {
        guard count > 0 else { return }
        let status = rsr_silu_mul_f32(gate, up, UInt64(count), pool?.raw)
        precondition(status == RSR_OK, "SiLU of \(count) values: status \(status.rawValue)")
    }

    /// gate[i] = g * g * up[i] with g = max(gate[i], 0): the relu² GLU in f32 (rsr_relu2_mul_f32), large
    /// arrays split over the pool.
    public static func relu2Mul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int, pool: ThreadPool?) {
        guard count > 0 else { return }
        let status = rsr_relu2_mul_f32(gate, up, UInt64(count), pool?.raw)
        precondition(status == RSR_OK, "relu² of \(count) values: status \(status.rawValue)")
    }

    /// Rotate-half RoPE in place on `tokens` rows of `heads` heads of x, by each token's cos and sin
    /// ([tokens][headDim / 2], rsr_rope_f32), tokens split over the pool.
    public static func rope(_ x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDim: Int, cos: UnsafePointer<Float>,
                            sin: UnsafePointer<Float>, pool: ThreadPool?) {
        guard tokens > 0 else { return }
        let status = rsr_rope_f32(x, UInt32(clamping: tokens), UInt32(clamping: heads), UInt32(clamping: headDim), cos, sin, pool?.raw)
        precondition(status == RSR_OK, "RoPE of \(tokens)x\(heads)x\(headDim): status \(status.rawValue)")
    }

    /// Causal attention of `tokens` queries at positions start..<start + tokens over cached keys and values
    /// at positions 0..<start + tokens, stored [kvHeads][capacity][headDim] (see rsr_attention_f32).
    public static func attention(q: UnsafePointer<Float>, tokens: Int, start: Int, heads: Int, kvHeads: Int, headDim: Int,
                                 capacity: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                 into out: UnsafeMutablePointer<Float>,
                                 workspace: Workspace, pool: ThreadPool?) throws {
        var need: UInt64 = 0
        try check(rsr_attention_work_size(UInt32(clamping: start + tokens), Int32(pool?.threads ?? 1), &need), "sizing attention")
        let work = workspace.reserve(Int(need))
        try check(rsr_attention_f32(q, UInt32(clamping: tokens), UInt32(clamping: start), UInt32(clamping: heads), UInt32(clamping: kvHeads),
                                    UInt32(clamping: headDim), UInt32(clamping: capacity), keys, values, out, work.pointer, UInt64(work.count), pool?.raw),
                  "attention over \(start + tokens) positions")
    }

    /// One sequence's part of a batched attention call: its queries, outputs and paged cache (see
    /// rsr_attention_sequences: keys and values [kvHeads][pageCount][pagePositions][headDim] of the call's
    /// cache type, position p in page pages[p / pagePositions]).
    public struct AttentionSequence {
        public var q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
        public var keys: UnsafeRawPointer, values: UnsafeRawPointer, pages: UnsafePointer<UInt32>
        public var tokens: Int, start: Int, pagePositions: Int, pageCount: Int

        public init(q: UnsafePointer<Float>, tokens: Int, start: Int, keys: UnsafeRawPointer, values: UnsafeRawPointer,
                    pages: UnsafePointer<UInt32>, pagePositions: Int, pageCount: Int, into out: UnsafeMutablePointer<Float>) {
            (self.q, self.tokens, self.start, self.keys, self.values, self.out) = (q, tokens, start, keys, values, out)
            (self.pages, self.pagePositions, self.pageCount) = (pages, pagePositions, pageCount)
        }
    }

    /// `attention` for several sequences (at most 256) in one pass over the pool: each gets what it gets alone.
    /// An f16 cache gives what an f32 cache of its values gives.
    public static func attention(_ sequences: [AttentionSequence], heads: Int, kvHeads: Int, headDim: Int, cacheType: KVCacheType = .f32,
                                 workspace: Workspace, pool: ThreadPool?) throws {
        let positions = sequences.map { $0.start + $0.tokens }.max() ?? 0
        var need: UInt64 = 0
        try check(rsr_attention_work_size(UInt32(clamping: positions), Int32(pool?.threads ?? 1), &need), "sizing attention")
        let work = workspace.reserve(Int(need))
        let raw = sequences.map {
            rsr_attention_sequence(q: $0.q, out: $0.out, k: $0.keys, v: $0.values, pages: $0.pages, n_tokens: UInt32(clamping: $0.tokens),
                                   start: UInt32(clamping: $0.start), page_positions: UInt32(clamping: $0.pagePositions),
                                   n_pages: UInt32(clamping: $0.pageCount))
        }
        try check(rsr_attention_sequences(raw, UInt32(raw.count), UInt32(clamping: heads), UInt32(clamping: kvHeads), UInt32(clamping: headDim),
                                          cacheType.dtype, work.pointer, UInt64(work.count), pool?.raw),
                  "attention of \(sequences.count) sequences over up to \(positions) positions")
    }

    /// `count` floats as IEEE halves, rounded to nearest even, magnitudes past 65504 held at 65504 (rsr_f32_to_f16).
    public static func halves(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<UInt16>, pool: ThreadPool?) {
        guard count > 0 else { return }
        let status = rsr_f32_to_f16(x, UInt64(count), out, pool?.raw)
        precondition(status == RSR_OK, "\(count) halves: status \(status.rawValue)")
    }
}

extension DenseTensor {
    /// Float rows w[rows][cols] as Q6_256 bytes written to `out` (rsr_q6_256_quantize: llama.cpp's Q6_K
    /// scales and codes).
    public static func quantizeQ6(_ w: UnsafeBufferPointer<Float>, rows: Int, cols: Int, into out: UnsafeMutableRawBufferPointer) throws {
        try check(rsr_q6_256_quantize(w.baseAddress, UInt32(clamping: rows), UInt32(clamping: cols), out.baseAddress, UInt64(out.count)),
                  "quantizing \(rows)x\(cols) values to Q6_256")
    }
}
