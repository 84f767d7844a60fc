import CRSRKernels

/// How a low-bit matrix is laid out for its kernel.
public enum LayoutKind: Hashable, Sendable, CustomStringConvertible {
    /// Classical RSR: rows in blocks of k, each block's columns sorted by pattern.
    case rsr(k: Int)
    /// Transposed RSR: one pattern code per 5 (ternary) or 8 (binary) columns of a row.
    case rsrT
    /// The packed 2-bit baseline.
    case packedI2
    /// packed-i2's codes by columns: products read only the columns whose input is not zero.
    case sparseI2

    var raw: rsr_layout_type {
        switch self {
        case .rsr: RSR_LAYOUT_RSR
        case .rsrT: RSR_LAYOUT_RSRT
        case .packedI2: RSR_LAYOUT_PACKED_I2
        case .sparseI2: RSR_LAYOUT_SPARSE_I2
        }
    }

    var k: UInt32 { if case .rsr(let k) = self { UInt32(clamping: k) } else { 0 } }

    public var description: String {
        if case .rsr(let k) = self { return "rsr(k=\(k))" }
        return name
    }

    /// The kernel's name, as `rsr bench` and model files write it.
    public var name: String {
        switch self {
        case .rsr: "rsr"
        case .rsrT: "rsr-t"
        case .packedI2: "packed-i2"
        case .sparseI2: "sparse-i2"
        }
    }

    /// The layout named `name` (k is used by "rsr" only).
    public init?(name: String, k: Int) {
        switch name {
        case "rsr": self = .rsr(k: k)
        case "rsr-t": self = .rsrT
        case "packed-i2": self = .packedI2
        case "sparse-i2": self = .sparseI2
        default: return nil
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

/// A matrix prepared for its kernel: the layout bytes, used in place by every product. The bytes are
/// either owned or borrowed from something that outlives the layout (a mapped model file).
public final class Layout: @unchecked Sendable {
    public let kind: LayoutKind
    public let weights: WeightKind
    public let rows: Int
    public let cols: Int
    /// Block rows (RSR, sparse-i2), group columns (RSR-T) or tile side (packed-i2).
    public let k: Int
    let base: UnsafeRawPointer
    public let byteCount: Int
    private let owner: AnyObject

    /// Bits of layout per weight, index and padding included.
    public var bitsPerWeight: Double { Double(byteCount * 8) / Double(rows * cols) }

    public convenience init(_ matrix: LowBitMatrix, as kind: LayoutKind, pool: ThreadPool? = nil) throws {
        let what = "preparing a \(matrix.rows)x\(matrix.cols) \(matrix.kind) matrix as \(kind)"
        var bytes: UInt64 = 0
        try check(rsr_layout_size(kind.raw, matrix.kind.raw, UInt32(matrix.rows), UInt32(matrix.cols), kind.k, &bytes), what)
        guard bytes <= UInt64(Int.max) else { throw KernelError(operation: what, status: RSR_ERR_OVERFLOW) }
        let storage = AlignedBuffer(count: Int(bytes))
        try matrix.values.withUnsafeBufferPointer { w in
            try check(rsr_layout_build(kind.raw, matrix.kind.raw, w.baseAddress, UInt32(matrix.rows), UInt32(matrix.cols),
                                       kind.k, storage.pointer, bytes, pool?.raw), what)
        }
        try self.init(storage.pointer, count: storage.count, owner: storage, validate: false)
    }

    /// A layout from untrusted bytes, copied: every index is checked before any kernel reads it.
    public convenience init(validating bytes: UnsafeRawBufferPointer) throws {
        let storage = AlignedBuffer(count: bytes.count)
        if let source = bytes.baseAddress { storage.pointer.copyMemory(from: source, byteCount: bytes.count) }
        try self.init(storage.pointer, count: storage.count, owner: storage, validate: true)
    }

    /// A layout using `bytes` in place (they must be 64-byte aligned), kept valid by `owner`. With
    /// `validate`, every index is checked first (O(size)); without it only the header is, so pass false
    /// only for bytes this process built or already validated.
    public convenience init(borrowing bytes: UnsafeRawBufferPointer, owner: AnyObject, validate: Bool = true) throws {
        guard let source = bytes.baseAddress, Int(bitPattern: source) % 64 == 0 else {
            throw KernelError(operation: "using layout bytes that are not 64-byte aligned", status: RSR_ERR_LAYOUT)
        }
        try self.init(source, count: bytes.count, owner: owner, validate: validate)
    }

    private init(_ base: UnsafeRawPointer, count: Int, owner: AnyObject, validate: Bool) throws {
        var info = rsr_layout_info()
        if validate {
            try check(rsr_layout_validate(base, UInt64(count), &info), "checking a layout of \(count) bytes")
        } else {
            try check(rsr_layout_info_get(base, UInt64(count), &info), "reading a layout header")
        }
        self.base = base
        self.byteCount = count
        self.owner = owner
        self.rows = Int(info.rows)
        self.cols = Int(info.cols)
        self.k = Int(info.k)
        self.weights = info.weights == RSR_WEIGHTS_BINARY ? .binary : .ternary
        switch info.type {
        case RSR_LAYOUT_RSR: kind = .rsr(k: Int(info.k))
        case RSR_LAYOUT_RSRT: kind = .rsrT
        case RSR_LAYOUT_SPARSE_I2: kind = .sparseI2
        default: kind = .packedI2
        }
    }

    /// Another copy of the layout bytes (benchmarks rotate over copies to keep caches cold).
    public func copy() -> Layout {
        let storage = AlignedBuffer(count: byteCount)
        storage.pointer.copyMemory(from: base, byteCount: byteCount)
        return try! Layout(storage.pointer, count: byteCount, owner: storage, validate: false)
    }

    /// The layout bytes, for writing to a file.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: byteCount))
    }

    /// The matrix this layout encodes.
    public func unpack() throws -> LowBitMatrix {
        var values = [Int8](repeating: 0, count: rows * cols)
        try values.withUnsafeMutableBufferPointer { try unpack(into: $0) }
        return try LowBitMatrix(rows: rows, cols: cols, kind: weights, values: values)
    }

    /// The matrix's rows x cols values written straight into `values`, without an array in between. The
    /// layout is checked first, and a checked layout decodes only to values of its weight kind.
    public func unpack(into values: UnsafeMutableBufferPointer<Int8>) throws {
        guard values.count == rows * cols, let w = values.baseAddress else {
            throw KernelError(operation: "unpacking a \(rows)x\(cols) \(kind) into \(values.count) values", status: RSR_ERR_SHAPE)
        }
        try check(rsr_layout_unpack(base, UInt64(byteCount), w), "unpacking \(kind)")
    }

    /// Scratch bytes a product of this batch needs on this many threads.
    public func workBytes(_ activation: Activation, batch: Int, threads: Int) throws -> Int {
        var bytes: UInt64 = 0
        try check(rsr_work_size(base, UInt64(byteCount), activation.raw, UInt32(clamping: batch),
                                Int32(clamping: threads), &bytes), "sizing scratch for \(kind), batch \(batch)")
        return Int(bytes)
    }

    /// y[batch][rows] = W x for int8 x[batch][cols]; exact int32 results.
    public func multiply(_ x: UnsafePointer<Int8>, batch: Int, into y: UnsafeMutablePointer<Int32>,
                         workspace: Workspace, pool: ThreadPool?) throws {
        let work = workspace.reserve(try workBytes(.int8, batch: batch, threads: pool?.threads ?? 1))
        try check(rsr_matmul_i8(base, UInt64(byteCount), x, UInt32(clamping: batch), y,
                                work.pointer, UInt64(work.count), pool?.raw), "\(kind) product, batch \(batch)")
    }

    /// y[j][batch][rows_j] = W_j x for layouts of one input width (a layer's q, k and v): the same integers
    /// as one `multiply` each, with rsr-t's pattern tables built once and one job on the pool where the
    /// layouts allow it (rsr_matmul_i8_many).
    public static func multiply(_ layouts: [Layout], _ x: UnsafePointer<Int8>, batch: Int, into y: [UnsafeMutablePointer<Int32>],
                                workspace: Workspace, pool: ThreadPool?) throws {
        precondition(layouts.count == y.count, "one output per layout")
        let bases = layouts.map { Optional($0.base) }, counts = layouts.map { UInt64($0.byteCount) }
        let outputs = y.map { Optional($0) }
        let n = UInt32(clamping: layouts.count)
        func names() -> String { layouts.map(\.kind.description).joined(separator: ", ") } // for errors only
        var bytes: UInt64 = 0
        try check(rsr_work_size_many(bases, counts, n, RSR_ACT_I8, UInt32(clamping: batch), Int32(clamping: pool?.threads ?? 1), &bytes),
                  "sizing scratch for \(names()), batch \(batch)")
        let work = workspace.reserve(Int(bytes))
        try check(rsr_matmul_i8_many(bases, counts, n, x, UInt32(clamping: batch), outputs, work.pointer, UInt64(work.count), pool?.raw),
                  "\(names()) products of one input, batch \(batch)")
    }

    /// y[batch][rows] = W x for f32 x[batch][cols].
    public func multiply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>,
                         workspace: Workspace, pool: ThreadPool?) throws {
        let work = workspace.reserve(try workBytes(.float32, batch: batch, threads: pool?.threads ?? 1))
        try check(rsr_matmul_f32(base, UInt64(byteCount), x, UInt32(clamping: batch), y,
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
