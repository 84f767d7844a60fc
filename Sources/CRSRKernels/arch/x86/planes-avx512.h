// planes-avx512.h: loads the AVX-512 bit-plane kernels (decode and batch) share.
#ifndef PLANES_AVX512_H
#define PLANES_AVX512_H

#include "../../planes-layout.h"
#include "simd-x86.h"

// Rows 16q .. 16q + 15 of a tile's scales (F32, F16 or BF16) as f32.
__attribute__((target(RSR_TARGET_AVX512))) static inline __m512 planes_scales16(const planes_header * h, const uint8_t * scales, int q) {
    switch (h->scale_type) {
    case RSR_DTYPE_F32: return _mm512_load_ps(scales + 64 * q);
    case RSR_DTYPE_F16: return _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(scales + 32 * q)));
    default: return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_load_si256((const __m256i *)(scales + 32 * q))), 16));
    }
}

// Rows 16q .. 16q + 15 of a tile's zero points as int32: stored, or 2^(bits-1).
__attribute__((target(RSR_TARGET_AVX512))) static inline __m512i planes_zeros16(const planes_header * h, const uint8_t * zeros, int q) {
    return h->flags & RSR_PLANES_ZERO_POINTS ? _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)(zeros + 16 * q)))
                                             : _mm512_set1_epi32(1 << (h->bits - 1));
}

#endif
