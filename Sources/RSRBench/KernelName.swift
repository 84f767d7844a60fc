import RSRCore

/// The kernels `rsr bench kernels` measures: RSR's and the baselines it is compared with.
public enum KernelName: String, CaseIterable, Sendable, Codable {
    case denseF32 = "dense-f32"
    case openblasF32 = "openblas-f32"
    case hfUnpack = "hf-unpack"
    case packedI2 = "packed-i2"
    case sparseI2 = "sparse-i2"
    case rsr = "rsr"
    case rsrF32 = "rsr-f32"
    case rsrT = "rsr-t"
    case q4_0 = "q4-0"
    case q6K = "q6-k"
    case bitPlanes2 = "bit-planes-2"
    case bitPlanes3 = "bit-planes-3"
    case bitPlanes4 = "bit-planes-4"
    case bitPlanes8 = "bit-planes-8"
    case packed2 = "packed-2"
    case packed4 = "packed-4"
    case packed8 = "packed-8"

    /// The kernels every row's speedups are computed against.
    public static let baselines: [KernelName] = [.denseF32, .openblasF32, .hfUnpack, .packedI2, .q4_0]

    public var summary: String {
        switch self {
        case .denseF32: "plain f32 loop over the float matrix"
        case .openblasF32: "OpenBLAS sgemv/sgemm on the float matrix"
        case .hfUnpack: "transformers' BitLinear: unpack 2-bit weights to float every call, then OpenBLAS"
        case .packedI2: "2-bit packed weights, int8 activations, integer SIMD dot products (VNNI/AVX2)"
        case .sparseI2: "packed-i2's codes by columns, int8 activations: reads and multiplies only the columns whose input is not zero (see --input-zeros)"
        case .rsr: "classical RSR, int8 activations: segmented sums per k-row block, then the fold"
        case .rsrF32: "classical RSR, f32 activations"
        case .rsrT: "transposed RSR, int8 activations: per-group pattern tables and byte-permute lookups"
        case .q4_0: "ggml's Q4_0 (4-bit weights in blocks of 32 with an f16 scale), int8 activations, VNNI dot products"
        case .q6K: "the Q6_256 head format (ggml's Q6_K reordered: 6-bit weights, int8 scales per 16), int8 activations, VNNI dot products"
        case .bitPlanes2, .bitPlanes3, .bitPlanes4, .bitPlanes8:
            "\(bits!)-bit weights in groups of 128 as bipolar bit-planes, int8 activations: one +-1 pattern table per 8 columns shared by every plane"
        case .packed2, .packed4, .packed8:
            "\(bits!)-bit weights in groups of 128, codes packed whole in bytes, 16 rows a register, int8 activations, VNNI dot products"
        }
    }

    /// Whether the kernel takes matrices of this shape (the blocked formats need whole blocks of columns).
    public func supports(_ shape: MatrixShape) -> Bool {
        switch self {
        case .q4_0: shape.cols % 32 == 0
        case .q6K: shape.cols % 256 == 0
        default: true
        }
    }

    /// Whether the kernel multiplies integer codes packed whole (otherwise bit-planes, when it has `bits`).
    public var isPacked: Bool { self == .packed2 || self == .packed4 || self == .packed8 }

    /// Bits per weight of the integer kernels.
    public var bits: Int? {
        switch self {
        case .bitPlanes2: 2
        case .bitPlanes3: 3
        case .bitPlanes4: 4
        case .bitPlanes8: 8
        case .packed2: 2
        case .packed4: 4
        case .packed8: 8
        default: nil
        }
    }

    /// Whether the kernel runs on OpenBLAS's threads rather than the kernel library's pool.
    public var usesOpenBLAS: Bool { self == .openblasF32 || self == .hfUnpack }

    /// Whether this kernel takes the `k` option (block rows of classical RSR).
    public var usesK: Bool { self == .rsr || self == .rsrF32 }
}
