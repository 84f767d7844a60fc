import RSRCore

/// The kernels `rsr bench kernels` measures: RSR's and the baselines it is compared with.
public enum KernelName: String, CaseIterable, Sendable, Codable {
    case denseF32 = "dense-f32"
    case openblasF32 = "openblas-f32"
    case hfUnpack = "hf-unpack"
    case packedI2 = "packed-i2"
    case rsr = "rsr"
    case rsrF32 = "rsr-f32"
    case rsrT = "rsr-t"

    /// The kernels every row's speedups are computed against.
    public static let baselines: [KernelName] = [.denseF32, .openblasF32, .hfUnpack, .packedI2]

    public var summary: String {
        switch self {
        case .denseF32: "plain f32 loop over the float matrix"
        case .openblasF32: "OpenBLAS sgemv/sgemm on the float matrix"
        case .hfUnpack: "transformers' BitLinear: unpack 2-bit weights to float every call, then OpenBLAS"
        case .packedI2: "2-bit packed weights, int8 activations, integer SIMD dot products (VNNI/AVX2)"
        case .rsr: "classical RSR, int8 activations: segmented sums per k-row block, then the fold"
        case .rsrF32: "classical RSR, f32 activations"
        case .rsrT: "transposed RSR, int8 activations: per-group pattern tables and byte-permute lookups"
        }
    }

    /// Whether the kernel runs on OpenBLAS's threads rather than the kernel library's pool.
    public var usesOpenBLAS: Bool { self == .openblasF32 || self == .hfUnpack }

    /// Whether this kernel takes the `k` option (block rows of classical RSR).
    public var usesK: Bool { self == .rsr || self == .rsrF32 }
}
