// planes-avx2.h: loads the AVX2 integer kernels (bit-planes and packed) share.
#ifndef PLANES_AVX2_H
#define PLANES_AVX2_H

#include "../../planes-layout.h"
#include "simd-x86.h"

// Rows r .. r + 7 of a tile's scales (F32, F16 or BF16) as f32. F16C is not part of this level: an F16's
// exponent and mantissa shifted into an f32's place and multiplied by 2^112 is its value, exactly (normal
// or subnormal); infinities and NaNs take an all-ones exponent instead.
__attribute__((target(RSR_TARGET_AVX2))) static inline __m256 planes_scales8(const planes_header * h, const uint8_t * scales, uint32_t r) {
    if (h->scale_type == RSR_DTYPE_F32) return _mm256_loadu_ps((const float *)(scales + 4 * r));
    const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(scales + 2 * r)));
    if (h->scale_type == RSR_DTYPE_BF16) return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
    const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0x8000)), 16);
    const __m256i body = _mm256_slli_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0x7fff)), 13);
    const __m256 finite = _mm256_mul_ps(_mm256_castsi256_ps(body), _mm256_castsi256_ps(_mm256_set1_epi32(0x77800000))); // 2^112
    const __m256i special = _mm256_cmpeq_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0x7c00)), _mm256_set1_epi32(0x7c00));
    const __m256i inf_nan = _mm256_or_si256(body, _mm256_set1_epi32(0x7f800000));
    return _mm256_or_ps(_mm256_blendv_ps(finite, _mm256_castsi256_ps(inf_nan), _mm256_castsi256_ps(special)), _mm256_castsi256_ps(sign));
}

// Rows r .. r + 7 of a tile's zero points as int32: stored, or 2^(bits-1).
__attribute__((target(RSR_TARGET_AVX2))) static inline __m256i planes_zeros8(const planes_header * h, const uint8_t * zeros, uint32_t r) {
    return h->flags & RSR_PLANES_ZERO_POINTS ? _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(zeros + r)))
                                             : _mm256_set1_epi32(1 << (h->bits - 1));
}

#endif
