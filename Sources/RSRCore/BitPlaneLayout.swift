import CRSRKernels

/// An integer matrix prepared as bipolar bit-planes (rsr.h, "Integer weights as bit-planes"), or with its
/// codes packed whole in bytes (2, 4 and 8 bits, `isPacked`): its bytes, owned or borrowed from something
/// that outlives it (a mapped model file), and its products with int8 vectors, which apply the group scales
/// and return floats. Both arrangements give the same floats.
public final class BitPlaneLayout: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    public let bits: Int
    public let group: Int
    public let scaleType: DenseType
    public let hasZeroPoints: Bool
    public let isPermuted: Bool
    public let isPacked: Bool
    let base: UnsafeRawPointer
    public let byteCount: Int
    private let owner: AnyObject

    public var bitsPerWeight: Double { Double(byteCount * 8) / Double(rows * cols) }

    /// Whether `matrix` can be packed: 2, 4 or 8 bits, in groups of whole 32 / bits-column blocks.
    public static func canPack(_ matrix: IntegerMatrix) -> Bool {
        [2, 4, 8].contains(matrix.bits) && (matrix.group >= matrix.cols || matrix.group % max(8, 32 / matrix.bits) == 0)
    }

    public convenience init(_ matrix: IntegerMatrix, packed: Bool = false, pool: ThreadPool? = nil) throws {
        let what = "preparing \(matrix.rows)x\(matrix.cols) \(matrix.bits)-bit weights as \(packed ? "packed codes" : "bit-planes")"
        var params = matrix.params
        if packed { params.flags |= UInt32(RSR_PLANES_PACKED) }
        var bytes: UInt64 = 0
        try check(rsr_planes_size(&params, &bytes), what)
        guard bytes <= UInt64(Int.max) else { throw KernelError(operation: what, status: RSR_ERR_OVERFLOW) }
        let storage = AlignedBuffer(count: Int(bytes))
        let scales = matrix.scaleBytes
        try matrix.codes.withUnsafeBufferPointer { u in
            try scales.withUnsafeBytes { s in
                try withOptionalBuffer(matrix.zeros) { z in
                    try withOptionalBuffer(matrix.permutation) { perm in
                        try check(rsr_planes_build(&params, u.baseAddress, s.baseAddress, z, perm, storage.pointer, bytes, pool?.raw), what)
                    }
                }
            }
        }
        try self.init(storage.pointer, count: storage.count, owner: storage, validate: false)
    }

    /// A layout using `bytes` in place (64-byte aligned), kept valid by `owner`. With `validate`, zero points
    /// and the permutation are checked first (O(size)); pass false only for bytes this process built or
    /// already validated.
    public convenience init(borrowing bytes: UnsafeRawBufferPointer, owner: AnyObject, validate: Bool = true) throws {
        guard let source = bytes.baseAddress, Int(bitPattern: source) % 64 == 0 else {
            throw KernelError(operation: "using bit-plane bytes that are not 64-byte aligned", status: RSR_ERR_LAYOUT)
        }
        try self.init(source, count: bytes.count, owner: owner, validate: validate)
    }

    private init(_ base: UnsafeRawPointer, count: Int, owner: AnyObject, validate: Bool) throws {
        var params = rsr_planes_params()
        if validate {
            try check(rsr_planes_validate(base, UInt64(count), &params), "checking bit-planes of \(count) bytes")
        } else {
            try check(rsr_planes_info(base, UInt64(count), &params), "reading a bit-plane header")
        }
        self.base = base
        self.owner = owner
        byteCount = count
        rows = Int(params.rows)
        cols = Int(params.cols)
        bits = Int(params.bits)
        group = min(Int(params.group), cols)
        scaleType = params.scale_type == RSR_DTYPE_F32 ? .f32 : params.scale_type == RSR_DTYPE_F16 ? .f16 : .bf16
        hasZeroPoints = params.flags & UInt32(RSR_PLANES_ZERO_POINTS) != 0
        isPermuted = params.flags & UInt32(RSR_PLANES_PERMUTED) != 0
        isPacked = params.flags & UInt32(RSR_PLANES_PACKED) != 0
    }

    /// Another copy of the bytes (benchmarks rotate over copies to keep caches cold).
    public func copy() -> BitPlaneLayout {
        let storage = AlignedBuffer(count: byteCount)
        storage.pointer.copyMemory(from: base, byteCount: byteCount)
        return try! BitPlaneLayout(storage.pointer, count: byteCount, owner: storage, validate: false)
    }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: byteCount))
    }

    /// The matrix these planes encode.
    public func unpack() throws -> IntegerMatrix {
        let groups = (cols + group - 1) / group
        var codes = [UInt8](repeating: 0, count: rows * cols)
        var scales = [UInt8](repeating: 0, count: rows * groups * (scaleType == .f32 ? 4 : 2))
        var zeros: [UInt8]? = hasZeroPoints ? [UInt8](repeating: 0, count: rows * groups) : nil
        var perm: [UInt32]? = isPermuted ? [UInt32](repeating: 0, count: cols) : nil
        try codes.withUnsafeMutableBufferPointer { u in
            try scales.withUnsafeMutableBytes { s in
                try withOptionalMutableBuffer(&zeros) { z in
                    try withOptionalMutableBuffer(&perm) { p in
                        try check(rsr_planes_unpack(base, UInt64(byteCount), u.baseAddress, s.baseAddress, z, p), "unpacking bit-planes")
                    }
                }
            }
        }
        let values: [Float] = scales.withUnsafeBytes { raw in
            (0..<rows * groups).map { i in
                switch scaleType {
                case .f32: Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                case .f16: Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                default: Float(bfloat16Bits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            }
        }
        return try IntegerMatrix(rows: rows, cols: cols, bits: bits, group: group, codes: codes, scales: values,
                                 scaleType: scaleType, zeros: zeros, permutation: perm)
    }

    public func workBytes(batch: Int, threads: Int) throws -> Int {
        var bytes: UInt64 = 0
        try check(rsr_planes_work_size(base, UInt64(byteCount), UInt32(clamping: batch), Int32(clamping: threads), &bytes),
                  "sizing scratch for bit-planes, batch \(batch)")
        return Int(bytes)
    }

    /// y[batch][rows] = W x for int8 x[batch][cols]: exact integer sums per group, times the group scales.
    public func multiply(_ x: UnsafePointer<Int8>, batch: Int, into y: UnsafeMutablePointer<Float>,
                         workspace: Workspace, pool: ThreadPool?) throws {
        let work = workspace.reserve(try workBytes(batch: batch, threads: pool?.threads ?? 1))
        try check(rsr_planes_matmul_i8(base, UInt64(byteCount), x, UInt32(clamping: batch), y, work.pointer, UInt64(work.count), pool?.raw),
                  "bit-plane product, batch \(batch)")
    }

    public func multiply(_ x: [Int8], batch: Int, pool: ThreadPool? = nil) throws -> [Float] {
        guard batch >= 1, x.count == batch * cols else {
            throw KernelError(operation: "bit-plane product of \(x.count) inputs as batch \(batch) of \(cols)", status: RSR_ERR_SHAPE)
        }
        var y = [Float](repeating: 0, count: rows * batch)
        try x.withUnsafeBufferPointer { xp in
            try y.withUnsafeMutableBufferPointer { yp in
                try multiply(xp.baseAddress!, batch: batch, into: yp.baseAddress!, workspace: Workspace(), pool: pool)
            }
        }
        return y
    }
}

/// Calls body with the array's elements, or with nil for no array.
public func withOptionalBuffer<T, R>(_ array: [T]?, _ body: (UnsafePointer<T>?) throws -> R) rethrows -> R {
    guard let array else { return try body(nil) }
    return try array.withUnsafeBufferPointer { try body($0.baseAddress) }
}

func withOptionalMutableBuffer<T, R>(_ array: inout [T]?, _ body: (UnsafeMutablePointer<T>?) throws -> R) rethrows -> R {
    guard array != nil else { return try body(nil) }
    return try array!.withUnsafeMutableBufferPointer { try body($0.baseAddress) }
}
