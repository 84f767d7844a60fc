// sparse-i2-avx2.c: sparse-i2 products with AVX2. Nonzero columns go in pairs: vpunpck{l,h}bw interleave two
// columns' codes so that each byte pair holds one row's two codes, and vpmaddubsw by the two inputs
// (broadcast as one int16) leaves that row's part of the sum. A pair adds at most 2 * 2 * 128 = 512 to an
// int16 lane, so runs of 63 pairs stay exact before the lanes widen to int32. A block's 256 rows need 16
// registers of int16 sums, more than AVX2's 16 leave room for, so a run takes the first 32 bytes of its
// pieces (rows 64 s + 0..31) and then, from L1, the second.
#if defined(__x86_64__)

#include "../../sparse-i2-layout.h"
#include "simd-x86.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX2))), apply_to = function)

#define RUN_PAIRS 63u
// The pieces lie where the input's nonzeros are, which the hardware prefetcher cannot know. On Zen 1, asking
// for the pair 8 ahead into L1 measured faster than none, 4, 16 or 32, and adding the pair 32 ahead into L2
// 2-7% faster again (64: about the same, 128: slower).
#define PREFETCH_PAIRS 8u
#define PREFETCH_L2_PAIRS 32u

// Adds one half's int16 sums to the rows' int32 ones: lane i of acc[2 s + u] is byte 8 u + i of the low 128
// bits (i < 8) and 16 + 8 u + i - 8 of the high ones, byte b of half h being row 64 s + 32 h + b.
static void widen(const __m256i acc[8], uint32_t half, int32_t * sums) {
    for (int s = 0; s < 4; ++s) {
        for (int u = 0; u < 2; ++u) {
            int32_t * low = sums + SPARSE_I2_PIECE * s + 32 * half + 8 * u, * high = low + 16;
            const __m256i wide_low = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(acc[2 * s + u]));
            const __m256i wide_high = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(acc[2 * s + u], 1));
            _mm256_store_si256((__m256i *)low, _mm256_add_epi32(_mm256_load_si256((const __m256i *)low), wide_low));
            _mm256_store_si256((__m256i *)high, _mm256_add_epi32(_mm256_load_si256((const __m256i *)high), wide_high));
        }
    }
}

static void rows_avx2(const sparse_i2_ctx * c, uint32_t v, const uint8_t * pieces, int32_t * sums) {
    const uint32_t * offsets = sparse_i2_offsets(c->p, v);
    const int8_t * inputs = sparse_i2_inputs(c->p, v);
    const __m256i three = _mm256_set1_epi8(3);
    const uint32_t pairs = c->count[v] / 2;
    for (uint32_t p0 = 0; p0 < pairs; p0 += RUN_PAIRS) {
        const uint32_t p1 = rsr_min_u32(p0 + RUN_PAIRS, pairs);
        for (uint32_t half = 0; half < 2; ++half) {
            const uint8_t * codes = pieces + 32 * half;
            __m256i acc[8];
            for (int i = 0; i < 8; ++i) acc[i] = _mm256_setzero_si256();
            for (uint32_t p = p0; p < p1; ++p) {
                if (half == 0) {
                    const uint32_t ahead = rsr_min_u32(p + PREFETCH_PAIRS, pairs - 1);
                    _mm_prefetch((const char *)(pieces + offsets[2 * ahead]), _MM_HINT_T0);
                    _mm_prefetch((const char *)(pieces + offsets[2 * ahead + 1]), _MM_HINT_T0);
                    const uint32_t far = rsr_min_u32(p + PREFETCH_L2_PAIRS, pairs - 1);
                    _mm_prefetch((const char *)(pieces + offsets[2 * far]), _MM_HINT_T1);
                    _mm_prefetch((const char *)(pieces + offsets[2 * far + 1]), _MM_HINT_T1);
                }
                const __m256i a = _mm256_load_si256((const __m256i *)(codes + offsets[2 * p]));
                const __m256i b = _mm256_load_si256((const __m256i *)(codes + offsets[2 * p + 1]));
                int16_t two;
                memcpy(&two, inputs + 2 * p, sizeof two);
                const __m256i x = _mm256_set1_epi16(two);
                // acc[2 s + u]: crumb s, unpack u
                const __m256i lo = _mm256_unpacklo_epi8(a, b), hi = _mm256_unpackhi_epi8(a, b);
                #pragma clang loop unroll(full)
                for (int s = 0; s < 4; ++s) {
                    const __m256i l = s ? _mm256_srli_epi16(lo, 2 * s) : lo, h = s ? _mm256_srli_epi16(hi, 2 * s) : hi;
                    acc[2 * s] = _mm256_add_epi16(acc[2 * s], _mm256_maddubs_epi16(_mm256_and_si256(l, three), x));
                    acc[2 * s + 1] = _mm256_add_epi16(acc[2 * s + 1], _mm256_maddubs_epi16(_mm256_and_si256(h, three), x));
                }
            }
            widen(acc, half, sums);
        }
    }
}

// The nonzero inputs, 32 at a time by their mask, where the portable loop wrote an entry for every input.
static uint32_t list_nonzero(const int8_t * x, uint32_t cols, uint32_t * offsets, int8_t * inputs) {
    uint32_t col = 0, n = 0;
    for (; col + 32 <= cols; col += 32) {
        const __m256i zeros = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(x + col)), _mm256_setzero_si256());
        for (uint32_t nonzero = ~(uint32_t)_mm256_movemask_epi8(zeros); nonzero; nonzero &= nonzero - 1) {
            const uint32_t j = col + (uint32_t)__builtin_ctz(nonzero);
            offsets[n] = j * SPARSE_I2_PIECE;
            inputs[n++] = x[j];
        }
    }
    return n + sparse_i2_list_from(x, col, cols, offsets + n, inputs + n);
}

rsr_status rsr_product_i8_sparse_i2_avx2(const rsr_product * p) { return sparse_i2_run(p, list_nonzero, rows_avx2); }

#pragma clang attribute pop

#endif
