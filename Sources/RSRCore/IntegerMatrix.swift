import CRSRKernels

/// An integer weight matrix in scale groups: W[r][c] = scale[r][g] * (code[r][c] - zero[r][g]) with n-bit
/// codes, g = c / group over the stored column order (a permutation may gather columns, as GPTQ's act order
/// does). Without zero points every group's is 2^(bits-1): signed codes.
public struct IntegerMatrix: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    public let bits: Int
    /// Columns per scale group; `cols` for one scale per row.
    public let group: Int
    /// rows x cols codes in 0 ..< 2^bits, stored column order.
    public let codes: [UInt8]
    /// rows x groups, and the type they are stored as (F32, F16 or BF16; the values must be exact in it).
    public let scales: [Float]
    public let scaleType: DenseType
    /// rows x groups zero points, or nil for 2^(bits-1).
    public let zeros: [UInt8]?
    /// The input column of each stored column, or nil for the identity.
    public let permutation: [UInt32]?

    public var groups: Int { (cols + group - 1) / group }

    public init(rows: Int, cols: Int, bits: Int, group: Int, codes: [UInt8], scales: [Float], scaleType: DenseType = .f16,
                zeros: [UInt8]? = nil, permutation: [UInt32]? = nil) throws {
        let what = "a \(rows)x\(cols) \(bits)-bit matrix in groups of \(group)"
        guard rows >= 1, cols >= 1, (1...8).contains(bits), group >= 1 else { throw KernelError(operation: what, status: RSR_ERR_SHAPE) }
        self.rows = rows
        self.cols = cols
        self.bits = bits
        self.group = min(group, cols)
        self.codes = codes
        self.scales = scales
        self.scaleType = scaleType
        self.zeros = zeros
        self.permutation = permutation
        guard codes.count == rows * cols, scales.count == rows * groups, zeros.map({ $0.count == rows * groups }) ?? true,
              permutation.map({ $0.count == cols }) ?? true else {
            throw KernelError(operation: "\(what) from \(codes.count) codes, \(scales.count) scales", status: RSR_ERR_SHAPE)
        }
        guard [.f32, .f16, .bf16].contains(scaleType) else { throw KernelError(operation: "\(what) with \(scaleType) scales", status: RSR_ERR_ARGUMENT) }
    }

    var params: rsr_planes_params {
        var flags: UInt32 = 0
        if zeros != nil { flags |= UInt32(RSR_PLANES_ZERO_POINTS) }
        if permutation != nil { flags |= UInt32(RSR_PLANES_PERMUTED) }
        return rsr_planes_params(rows: UInt32(rows), cols: UInt32(cols), bits: UInt32(bits), group: UInt32(group),
                                 scale_type: scaleType.raw, flags: flags)
    }

    /// The scales as the layout stores them.
    var scaleBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(scales.count * (scaleType == .f32 ? 4 : 2))
        for s in scales {
            switch scaleType {
            case .f32: withUnsafeBytes(of: s.bitPattern.littleEndian) { out += $0 }
            case .f16: withUnsafeBytes(of: Float16(s).bitPattern.littleEndian) { out += $0 }
            default: withUnsafeBytes(of: s.roundedBFloat16Bits.littleEndian) { out += $0 }
            }
        }
        return out
    }
}

extension Float {
    /// The nearest bfloat16 (ties to even), NaN kept NaN.
    var roundedBFloat16Bits: UInt16 {
        guard !isNaN else { return 0x7fc0 }
        let bits = bitPattern
        return UInt16(truncatingIfNeeded: (bits + 0x7fff + (bits >> 16 & 1)) >> 16)
    }

    init(bfloat16Bits b: UInt16) { self.init(bitPattern: UInt32(b) << 16) }
}

extension IntegerMatrix {
    /// Round-to-nearest quantization of float weights (rows x cols) with a clipping search per group
    /// (`rsr_quantize_groups`). Scales are F16 unless one falls outside F16's normal range, then F32.
    public static func quantizing(_ w: [Float], rows: Int, cols: Int, bits: Int, group: Int, asymmetric: Bool,
                                  pool: ThreadPool? = nil) throws -> IntegerMatrix {
        let what = "quantizing a \(rows)x\(cols) matrix to \(bits) bits in groups of \(group)"
        guard w.count == rows * cols, group >= 1 else { throw KernelError(operation: what, status: RSR_ERR_SHAPE) }
        let groups = (cols + min(group, cols) - 1) / min(group, cols)
        var codes = [UInt8](repeating: 0, count: rows * cols)
        var scales = [Float](repeating: 0, count: rows * groups)
        var zeros: [UInt8]? = asymmetric ? [UInt8](repeating: 0, count: rows * groups) : nil
        func run(_ type: DenseType) throws {
            try w.withUnsafeBufferPointer { wp in
                try codes.withUnsafeMutableBufferPointer { u in
                    try scales.withUnsafeMutableBufferPointer { s in
                        try withOptionalMutableBuffer(&zeros) { z in
                            try check(rsr_quantize_groups(wp.baseAddress, UInt32(rows), UInt32(cols), UInt32(bits), UInt32(group),
                                                          asymmetric ? 1 : 0, type.raw, u.baseAddress, s.baseAddress, z, pool?.raw), what)
                        }
                    }
                }
            }
        }
        var type = DenseType.f16
        try run(type)
        if scales.contains(where: { $0 != 0 && !(Float(Float16.leastNormalMagnitude)...Float(Float16.greatestFiniteMagnitude)).contains(abs($0)) }) {
            type = .f32
            try run(type)
        }
        return try IntegerMatrix(rows: rows, cols: cols, bits: bits, group: group, codes: codes, scales: scales, scaleType: type, zeros: zeros)
    }
}

extension IntegerMatrix {
    /// Random codes, zero points and permutation; scales of a few bits of mantissa, exact in every type.
    public static func random<G: RandomNumberGenerator>(rows: Int, cols: Int, bits: Int, group: Int, zeroPoints: Bool = false,
                                                        permuted: Bool = false, scaleType: DenseType = .f16,
                                                        using rng: inout G) throws -> IntegerMatrix {
        let groups = (cols + min(group, cols) - 1) / min(group, cols)
        let max = UInt8((1 << bits) - 1)
        return try IntegerMatrix(
            rows: rows, cols: cols, bits: bits, group: group,
            codes: (0..<rows * cols).map { _ in UInt8.random(in: 0...max, using: &rng) },
            scales: (0..<rows * groups).map { _ in Float(Int.random(in: -15...15, using: &rng)) * Float(sign: .plus, exponent: Int.random(in: -12...2, using: &rng), significand: 1) },
            scaleType: scaleType,
            zeros: zeroPoints ? (0..<rows * groups).map { _ in UInt8.random(in: 0...max, using: &rng) } : nil,
            permutation: permuted ? (0..<UInt32(cols)).shuffled(using: &rng) : nil)
    }
}
