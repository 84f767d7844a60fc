import CRSRKernels

/// Which values a low-bit matrix holds.
public enum WeightKind: String, CaseIterable, Codable, Sendable {
    case binary   // {0, 1}
    case ternary  // {-1, 0, +1}

    var raw: rsr_weights { self == .binary ? RSR_WEIGHTS_BINARY : RSR_WEIGHTS_TERNARY }
    var allowed: ClosedRange<Int8> { self == .binary ? 0...1 : -1...1 }
}

/// A binary or ternary matrix, rows x cols, row-major (out x in, as HF stores a Linear weight).
public struct LowBitMatrix: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    public let kind: WeightKind
    public let values: [Int8]

    public init(rows: Int, cols: Int, kind: WeightKind, values: [Int8]) throws {
        guard rows >= 1, cols >= 1 else { throw KernelError(operation: "a \(rows)x\(cols) matrix", status: RSR_ERR_SHAPE) }
        guard rows <= Int(RSR_MAX_DIM), cols <= Int(RSR_MAX_DIM) else {
            throw KernelError(operation: "a \(rows)x\(cols) matrix", status: RSR_ERR_OVERFLOW)
        }
        guard values.count == rows * cols else {
            throw KernelError(operation: "a \(rows)x\(cols) matrix from \(values.count) values", status: RSR_ERR_SHAPE)
        }
        if let bad = values.first(where: { !kind.allowed.contains($0) }) {
            throw KernelError(operation: "a \(kind) matrix holding the value \(bad)", status: RSR_ERR_VALUE)
        }
        self.rows = rows
        self.cols = cols
        self.kind = kind
        self.values = values
    }

    /// For values a kernel just produced within the kind's range (unpacking, ternarisation): skips the
    /// check, which costs as much as the unpacking itself on a large matrix.
    init(rows: Int, cols: Int, kind: WeightKind, checkedValues values: [Int8]) {
        precondition(values.count == rows * cols)
        self.rows = rows
        self.cols = cols
        self.kind = kind
        self.values = values
    }

    /// Uniformly random values of the kind, reproducible from the generator's seed.
    public static func random<G: RandomNumberGenerator>(rows: Int, cols: Int, kind: WeightKind, using rng: inout G) throws -> LowBitMatrix {
        let range = kind.allowed
        let values = (0..<rows * cols).map { _ in Int8.random(in: range, using: &rng) }
        return try LowBitMatrix(rows: rows, cols: cols, kind: kind, values: values)
    }

    public var floats: [Float] { values.map(Float.init) }
}

/// SplitMix64: a small, fast, seedable generator for reproducible test and benchmark data.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
