// planes-nibbles-avx512.c: one vector through the nibble copy of a 4-bit layout with AVX-512 VNNI. Four rows
// at a time: per 128 columns one 64-byte load a row, its low and high nibbles as two u8 operands of vpdpbusd;
// at the end of a scale group the four rows' 16 dword sums are reduced together, less z times the group's
// input sum, and applied with one fmaf each in group order, as the bit-plane kernels do.
#if defined(__x86_64__)

#include "../../planes-nibbles.h"
#include "simd-x86.h"

#include <math.h>

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX512))), apply_to = function)

// The four totals of a0..a3, in an __m128i.
static inline __m128i reduce4(__m512i a0, __m512i a1, __m512i a2, __m512i a3) {
    const __m512i t01 = _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1));
    const __m512i t23 = _mm512_add_epi32(_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3));
    const __m512i t = _mm512_add_epi32(_mm512_unpacklo_epi64(t01, t23), _mm512_unpackhi_epi64(t01, t23));
    const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(t), _mm512_extracti64x4_epi64(t, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

static inline __m512i group_dot(const uint8_t * codes, const int8_t * x, uint32_t steps, __m512i low4) {
    __m512i acc = _mm512_setzero_si512();
    for (uint32_t s = 0; s < steps; ++s) {
        _mm_prefetch((const char *)codes + 64 * s + 8192, _MM_HINT_T1);
        const __m512i packed = _mm512_load_si512(codes + 64 * s);
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(packed, low4), _mm512_loadu_si512(x + 128 * s));
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(_mm512_srli_epi16(packed, 4), low4), _mm512_loadu_si512(x + 128 * s + 64));
    }
    return acc;
}

void nibbles_rows_avx512(const nibbles_shape * n, const uint8_t * nibbles, const planes_input * in, float * y, uint32_t r0, uint32_t r1) {
    const __m512i low4 = _mm512_set1_epi8(15);
    const uint32_t group_steps = n->group / NIBBLES_STEP; // whole steps (nibbles_eligible)
    uint32_t r = r0;
    for (; r + 4 <= r1; r += 4) {
        const uint8_t * rows[4];
        for (int k = 0; k < 4; ++k) rows[k] = nibbles + (uint64_t)(r + k) * n->row_bytes;
        float acc[4] = { 0, 0, 0, 0 };
        for (uint32_t g = 0; g < n->n_groups; ++g) {
            const uint64_t at = n->codes_offset + (uint64_t)g * group_steps * 64;
            const int8_t * x = in->x + (uint64_t)g * n->group;
            _Alignas(16) int32_t sums[4];
            _mm_store_si128((__m128i *)sums, reduce4(group_dot(rows[0] + at, x, group_steps, low4), group_dot(rows[1] + at, x, group_steps, low4),
                                                     group_dot(rows[2] + at, x, group_steps, low4), group_dot(rows[3] + at, x, group_steps, low4)));
            for (int k = 0; k < 4; ++k) {
                const int32_t z = n->zeros ? rows[k][4 * n->n_groups + g] : 8;
                float d;
                memcpy(&d, rows[k] + 4 * g, 4);
                acc[k] = fmaf(d, (float)(sums[k] - z * in->group_sums[g]), acc[k]);
            }
        }
        for (int k = 0; k < 4; ++k) y[r + k] = acc[k];
    }
    for (; r < r1; ++r) {
        const uint8_t * row = nibbles + (uint64_t)r * n->row_bytes;
        float acc = 0;
        for (uint32_t g = 0; g < n->n_groups; ++g) {
            const int32_t sum = _mm512_reduce_add_epi32(group_dot(row + n->codes_offset + (uint64_t)g * group_steps * 64,
                                                                  in->x + (uint64_t)g * n->group, group_steps, low4));
            const int32_t z = n->zeros ? row[4 * n->n_groups + g] : 8;
            float d;
            memcpy(&d, row + 4 * g, 4);
            acc = fmaf(d, (float)(sum - z * in->group_sums[g]), acc);
        }
        y[r] = acc;
    }
}

#pragma clang attribute pop

#endif
