import CRSRKernels

/// The float matrix the dense baselines multiply with.
public final class DenseMatrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    let storage: AlignedBuffer
    public var byteCount: Int { rows * cols * 4 }

    public init(_ matrix: LowBitMatrix) {
        rows = matrix.rows
        cols = matrix.cols
        storage = AlignedBuffer(count: rows * cols * 4)
        let w = storage.pointer.bindMemory(to: Float.self, capacity: rows * cols)
        for (i, v) in matrix.values.enumerated() { w[i] = Float(v) }
    }

    private init(rows: Int, cols: Int, storage: AlignedBuffer) {
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// Another copy of the floats (benchmarks rotate over copies to keep caches cold).
    public func copy() -> DenseMatrix {
        let bytes = AlignedBuffer(count: storage.count)
        bytes.pointer.copyMemory(from: storage.pointer, byteCount: storage.count)
        return DenseMatrix(rows: rows, cols: cols, storage: bytes)
    }

    var floats: UnsafePointer<Float> { UnsafePointer(storage.pointer.assumingMemoryBound(to: Float.self)) }

    /// dense-f32: a plain loop per output.
    public func multiplyNaive(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, pool: ThreadPool?) throws {
        try check(rsr_dense_f32(floats, UInt32(rows), UInt32(cols), x, UInt32(clamping: batch), y, pool?.raw),
                  "dense-f32 product \(rows)x\(cols), batch \(batch)")
    }

    /// openblas-f32: cblas_sgemv / cblas_sgemm.
    public func multiplyBLAS(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, threads: Int) throws {
        try check(rsr_openblas_f32(floats, UInt32(rows), UInt32(cols), x, UInt32(clamping: batch), y, Int32(clamping: threads)),
                  "openblas-f32 product \(rows)x\(cols), batch \(batch)")
    }
}

/// A ternary matrix in transformers' packed BitNet layout, multiplied the way its BitLinear does it:
/// unpacked to float on every call, then a dense product.
public final class HFPackedMatrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    let packed: AlignedBuffer
    public var byteCount: Int { packed.count }

    public init(_ matrix: LowBitMatrix) throws {
        let (rows, cols) = (matrix.rows, matrix.cols)
        var bytes: UInt64 = 0
        try check(rsr_hf_pack_size(UInt32(rows), UInt32(cols), &bytes), "sizing an HF-packed \(rows)x\(cols) matrix")
        let packed = AlignedBuffer(count: Int(bytes))
        try matrix.values.withUnsafeBufferPointer { w in
            try check(rsr_hf_pack(w.baseAddress, UInt32(rows), UInt32(cols), packed.pointer.assumingMemoryBound(to: UInt8.self), bytes),
                      "packing a \(rows)x\(cols) matrix the HF way")
        }
        self.rows = rows
        self.cols = cols
        self.packed = packed
    }

    private init(rows: Int, cols: Int, packed: AlignedBuffer) {
        self.rows = rows
        self.cols = cols
        self.packed = packed
    }

    /// The packed bytes, `packed[ceil(rows/4)][cols]`.
    public var packedBytes: [UInt8] { Array(UnsafeBufferPointer(start: packed.pointer.assumingMemoryBound(to: UInt8.self), count: packed.count)) }

    /// Another copy of the packed bytes (benchmarks rotate over copies to keep caches cold).
    public func copy() -> HFPackedMatrix {
        let bytes = AlignedBuffer(count: packed.count)
        bytes.pointer.copyMemory(from: packed.pointer, byteCount: packed.count)
        return HFPackedMatrix(rows: rows, cols: cols, packed: bytes)
    }

    /// The float matrix every call unpacks into: rows * cols floats, reusable across calls and copies.
    public func makeScratch() -> AlignedBuffer { AlignedBuffer(count: rows * cols * 4) }

    public func multiply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>,
                         scratch: AlignedBuffer, pool: ThreadPool?) throws {
        try check(rsr_hf_unpack_f32(packed.pointer.assumingMemoryBound(to: UInt8.self), UInt32(rows), UInt32(cols), x,
                                    UInt32(clamping: batch), y, scratch.pointer.assumingMemoryBound(to: Float.self),
                                    UInt64(scratch.count / 4), pool?.raw),
                  "hf-unpack product \(rows)x\(cols), batch \(batch)")
    }
}
