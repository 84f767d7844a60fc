// packed-avx2.c: the one-vector product of packed integer codes with AVX2, for CPUs without AVX-512.
//
// A block's 32-byte half-word holds 8 rows' dwords; a shift and a mask give the rows' codes of four columns
// and vpmaddubsw multiplies them with those inputs broadcast into int16 pairs, which stay far from
// saturating at 2 and 4 bits (|sum| <= 2 fields * 2 * 15 * 128), before vpmaddwd widens them into the rows'
// int32 sums. 8-bit codes go as two nibbles, the high one weighted 16 by vpmaddwd. Rows stay in the lanes,
// so each group ends with the zero point's share and one fma per 8 rows, in group order (the same floats).
#if defined(__x86_64__)

#include "planes-avx2.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX2))), apply_to = function)

// Adds block b of tile k's rows 8j .. 8j + 7 (BITS-bit codes) times x's broadcast fields into acc.
static inline __attribute__((always_inline)) __m256i block_rows(__m256i acc, __m256i w, const __m256i * xb, const int BITS) {
    const __m256i ones = _mm256_set1_epi16(1), nibble = _mm256_set1_epi8(0x0f);
    if (BITS == 8) {
        const __m256i lo = _mm256_maddubs_epi16(_mm256_and_si256(w, nibble), xb[0]);
        const __m256i hi = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(w, 4), nibble), xb[0]);
        return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(lo, ones), _mm256_madd_epi16(hi, _mm256_set1_epi16(16))));
    }
    const __m256i mask = _mm256_set1_epi8((char)((1 << BITS) - 1));
    __m256i pairs = _mm256_maddubs_epi16(_mm256_and_si256(w, mask), xb[0]);
    for (int f = 1; f < 8 / BITS; ++f) {
        pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(w, BITS * f), mask), xb[f]));
    }
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
}

// y (f32, [tile][64]) of a quad of nt tiles over all scale groups. The quad's blocks are read in order, all
// tiles of a block at once, so that the hardware prefetcher sees one stream (a tile at a time, striding
// over the others, ran at a quarter of the speed cold); the 8 x nt accumulators live in L1.
static inline __attribute__((always_inline)) void quad_product(
        const planes_header * h, const uint8_t * group, const planes_input in, uint32_t nt, const int BITS, float * y) {
    const int FIELDS = BITS == 8 ? 1 : 8 / BITS;
    const uint32_t lanes = nt * PLANES_TILE / 8; // registers of 8 rows
    for (uint32_t j = 0; j < lanes; ++j) _mm256_store_ps(y + 8 * j, _mm256_setzero_ps());
    for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, nt), ++g) {
        __m256i acc[PLANES_QUAD * PLANES_TILE / 8];
        for (uint32_t j = 0; j < lanes; ++j) acc[j] = _mm256_setzero_si256();
        const int8_t * x = in.x + (uint64_t)g * h->group;
        for (uint32_t b = 0; b < planes_group_blocks(h, g); ++b) {
            const uint8_t * w = group + planes_block_offset(nt, b, 0);
            __m256i xb[4];
            for (int f = 0; f < FIELDS; ++f) {
                int32_t four;
                memcpy(&four, x + b * (32u / (uint32_t)BITS) + 4 * f, 4);
                xb[f] = _mm256_set1_epi32(four);
            }
            for (uint32_t j = 0; j < lanes; ++j) acc[j] = block_rows(acc[j], _mm256_load_si256((const __m256i *)(w + 32 * j)), xb, BITS);
        }
        const __m256i xs = _mm256_set1_epi32(in.group_sums[g]);
        for (uint32_t k = 0; k < nt; ++k) {
            const uint8_t * scales = group + planes_scales_offset(h, g, nt, k);
            const uint8_t * zeros = group + planes_zeros_offset(h, g, nt, k);
            for (uint32_t j = 0; j < 8; ++j) {
                const __m256i sum = _mm256_sub_epi32(acc[8 * k + j], _mm256_mullo_epi32(planes_zeros8(h, zeros, 8 * j), xs));
                float * out = y + k * PLANES_TILE + 8 * j;
                _mm256_store_ps(out, _mm256_fmadd_ps(planes_scales8(h, scales, 8 * j), _mm256_cvtepi32_ps(sum), _mm256_load_ps(out)));
            }
        }
    }
}

static void quad_any(const planes_header * h, const uint8_t * quad, uint32_t nt, const planes_input * in, float * y) {
    if (h->bits == 2) quad_product(h, quad, *in, nt, 2, y);
    else if (h->bits == 4) quad_product(h, quad, *in, nt, 4, y);
    else quad_product(h, quad, *in, nt, 8, y);
}

void planes_packed_avx2(const planes_product * p) {
    planes_packed_product(p, quad_any);
}

#pragma clang attribute pop

#endif
