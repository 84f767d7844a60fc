import CRSRKernels

/// How a low-bit matrix is laid out for its kernel.
public enum LayoutKind: Hashable, Sendable, CustomStringConvertible {
    /// Classical RSR: rows in blocks of k, each block's columns sorted by pattern.
    case rsr(k: Int)
    /// Transposed RSR: one pattern code per 5 (ternary) or 8 (binary) columns of a row.
    case rsrT
    /// The packed 2-bit baseline.
    case packedI2

    var raw: rsr_layout_type {
        switch self {
        case .rsr: RSR_LAYOUT_RSR
        case .rsrT: RSR_LAYOUT_RSRT
        case .packedI2: RSR_LAYOUT_PACKED_I2
        }
    }

    var k: UInt32 { if case .rsr(let k) = self { UInt32(clamping: k) } else { 0 } }

    public var description: String {
        switch self {
        case .rsr(let k): "rsr(k=\(k))"
        case .rsrT: "rsr-t"
        case .packedI2: "packed-i2"
        }
    }

    /// The k values the kernel library accepts for classical RSR on this kind of matrix.
    public static func rsrKRange(_ kind: WeightKind) -> ClosedRange<Int> {
        var lo: UInt32 = 0, hi: UInt32 = 0
        _ = rsr_layout_k_range(RSR_LAYOUT_RSR, kind.raw, &lo, &hi)
        return Int(lo)...Int(hi)
    }
}

/// Activation element types a product takes.
public enum Activation: Sendable {
    case int8, float32
    var raw: rsr_act { self == .int8 ? RSR_ACT_I8 : RSR_ACT_F32 }
}

/// A matrix prepared for its kernel: the layout bytes, used in place by every product.
public final class Layout: @unchecked Sendable {
    public let kind: LayoutKind
    public let weights: WeightKind
    public let rows: Int
    public let cols: Int
    /// Block rows (RSR), group columns (RSR-T) or tile side (packed-i2).
    public let k: Int
    let storage: AlignedBuffer
    public var byteCount: Int { storage.count }

    /// Bits of layout per weight, index and padding included.
    public var bitsPerWeight: Double { Double(byteCount * 8) / Double(rows * cols) }

    public init(_ matrix: LowBitMatrix, as kind: LayoutKind, pool: ThreadPool? = nil) throws {
        let what = "preparing a \(matrix.rows)x\(matrix.cols) \(matrix.kind) matrix as \(kind)"
        var bytes: UInt64 = 0
        try check(rsr_layout_size(kind.raw, matrix.kind.raw, UInt32(matrix.rows), UInt32(matrix.cols), kind.k, &bytes), what)
        guard bytes <= UInt64(Int.max) else { throw KernelError(operation: what, status: RSR_ERR_OVERFLOW) }
        let storage = AlignedBuffer(count: Int(bytes))
        try matrix.values.withUnsafeBufferPointer { w in
            try check(rsr_layout_build(kind.raw, matrix.kind.raw, w.baseAddress, UInt32(matrix.rows), UInt32(matrix.cols),
                                       kind.k, storage.pointer, bytes, pool?.raw), what)
        }
        self.storage = storage
        self.kind = kind
        self.weights = matrix.kind
        self.rows = matrix.rows
        self.cols = matrix.cols
        self.k = Int(Layout.info(storage).k)
    }

    /// A layout from untrusted bytes (a file): every index is checked before any kernel reads it.
    public init(validating bytes: UnsafeRawBufferPointer) throws {
        let storage = AlignedBuffer(count: bytes.count)
        if let base = bytes.baseAddress { storage.pointer.copyMemory(from: base, byteCount: bytes.count) }
        var info = rsr_layout_info()
        try check(rsr_layout_validate(storage.pointer, UInt64(bytes.count), &info), "checking a layout of \(bytes.count) bytes")
        self.storage = storage
        self.rows = Int(info.rows)
        self.cols = Int(info.cols)
        self.k = Int(info.k)
        self.weights = info.weights == RSR_WEIGHTS_BINARY ? .binary : .ternary
        switch info.type {
        case RSR_LAYOUT_RSR: kind = .rsr(k: Int(info.k))
        case RSR_LAYOUT_RSRT: kind = .rsrT
        default: kind = .packedI2
        }
    }

    private init(copying other: Layout) {
        storage = AlignedBuffer(count: other.storage.count)
        storage.pointer.copyMemory(from: other.storage.pointer, byteCount: other.storage.count)
        kind = other.kind
        weights = other.weights
        rows = other.rows
        cols = other.cols
        k = other.k
    }

    /// Another copy of the layout bytes (benchmarks rotate over copies to keep caches cold).
    public func copy() -> Layout { Layout(copying: self) }

    private static func info(_ storage: AlignedBuffer) -> rsr_layout_info {
        var info = rsr_layout_info()
        _ = rsr_layout_info_get(storage.pointer, UInt64(storage.count), &info)
        return info
    }

    /// The layout bytes, for writing to a file.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// The matrix this layout encodes.
    public func unpack() throws -> LowBitMatrix {
        var values = [Int8](repeating: 0, count: rows * cols)
        try values.withUnsafeMutableBufferPointer { w in
            try check(rsr_layout_unpack(storage.pointer, UInt64(storage.count), w.baseAddress), "unpacking \(kind)")
        }
        return try LowBitMatrix(rows: rows, cols: cols, kind: weights, values: values)
    }

    /// Scratch bytes a product of this batch needs on this many threads.
    public func workBytes(_ activation: Activation, batch: Int, threads: Int) throws -> Int {
        var bytes: UInt64 = 0
        try check(rsr_work_size(storage.pointer, UInt64(storage.count), activation.raw, UInt32(clamping: batch),
                                Int32(clamping: threads), &bytes), "sizing scratch for \(kind), batch \(batch)")
        return Int(bytes)
    }

    /// y[batch][rows] = W x for int8 x[batch][cols]; exact int32 results.
    public func multiply(_ x: UnsafePointer<Int8>, batch: Int, into y: UnsafeMutablePointer<Int32>,
                         workspace: Workspace, pool: ThreadPool?) throws {
        let work = workspace.reserve(try workBytes(.int8, batch: batch, threads: pool?.threads ?? 1))
        try check(rsr_matmul_i8(storage.pointer, UInt64(storage.count), x, UInt32(clamping: batch), y,
                                work.pointer, UInt64(work.count), pool?.raw), "\(kind) product, batch \(batch)")
    }

    /// y[batch][rows] = W x for f32 x[batch][cols].
    public func multiply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>,
                         workspace: Workspace, pool: ThreadPool?) throws {
        let work = workspace.reserve(try workBytes(.float32, batch: batch, threads: pool?.threads ?? 1))
        try check(rsr_matmul_f32(storage.pointer, UInt64(storage.count), x, UInt32(clamping: batch), y,
                                 work.pointer, UInt64(work.count), pool?.raw), "\(kind) f32 product, batch \(batch)")
    }

    public func multiply(_ x: [Int8], batch: Int, pool: ThreadPool? = nil) throws -> [Int32] {
        try arrayProduct(x, batch: batch) { try multiply($0, batch: batch, into: $1, workspace: Workspace(), pool: pool) }
    }

    public func multiply(_ x: [Float], batch: Int, pool: ThreadPool? = nil) throws -> [Float] {
        try arrayProduct(x, batch: batch) { try multiply($0, batch: batch, into: $1, workspace: Workspace(), pool: pool) }
    }

    private func arrayProduct<X, Y: Numeric>(_ x: [X], batch: Int,
                                             _ body: (UnsafePointer<X>, UnsafeMutablePointer<Y>) throws -> Void) throws -> [Y] {
        try checkInput(x.count, batch: batch)
        var y = [Y](repeating: 0, count: rows * batch)
        try x.withUnsafeBufferPointer { xp in
            try y.withUnsafeMutableBufferPointer { yp in try body(xp.baseAddress!, yp.baseAddress!) }
        }
        return y
    }

    private func checkInput(_ count: Int, batch: Int) throws {
        guard batch >= 1, count == batch * cols else {
            throw KernelError(operation: "\(kind) product of \(count) inputs as batch \(batch) of \(cols)", status: RSR_ERR_SHAPE)
        }
    }
}
