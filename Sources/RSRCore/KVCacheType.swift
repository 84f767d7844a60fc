import CRSRKernels

/// How a KV cache stores keys and values. `f32` keeps what the projections and RoPE computed, as
/// transformers' f32 reference does; `f16` (IEEE half, llama.cpp's default cache type) halves the cache's
/// memory and the bytes attention reads, rounding each value to nearest even and holding magnitudes past
/// 65504 at 65504.
public enum KVCacheType: String, CaseIterable, Sendable {
    case f32, f16

    /// Bytes of one stored value.
    public var valueBytes: Int { self == .f32 ? 4 : 2 }

    var dtype: rsr_dtype { self == .f32 ? RSR_DTYPE_F32 : RSR_DTYPE_F16 }
}
