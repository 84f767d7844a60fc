// sparse-i2-avx512.c: sparse-i2 products with AVX-512 VNNI. Nonzero columns go in fours: two rounds of
// vpunpck interleave four columns' codes so that each dword holds one row's four codes, and vpdpbusd by the
// four inputs (broadcast as one int32) adds that row's part of the sum. Crumb s of a byte is taken by a mask
// alone, without shifting it down: its lanes then sum 4^s times the rows' values, which the store shifts back
// out (exact: every term is a multiple of 4^s). A block's 256 rows are 16 registers of int32 sums.
#if defined(__x86_64__)

#include "../../sparse-i2-layout.h"
#include "simd-x86.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX512))), apply_to = function)

// Four columns add at most 4 * 192 * 128 to a lane (crumb 3 unshifted, inputs -128): runs of 16384 fours stay
// within int32.
#define RUN_QUADS 16384u
// The pieces lie where the input's nonzeros are, which the hardware prefetcher cannot know: ask for them
// ahead, into L1 and further ahead into L2. On Zen 4, 4 and 32 fours measured faster than 2 and 8 or 4 and 16
// (by 5-20% at 8 vectors); 8 and 32, 4 and 64 or 8 and 64 about the same, 4 and 128 slower.
#define PREFETCH_QUADS 4u
#define PREFETCH_L2_QUADS 32u

#define PREFETCH_QUAD(pieces, offsets, q, hint) \
    for (int i = 0; i < 4; ++i) _mm_prefetch((const char *)((pieces) + (offsets)[4 * (q) + i]), hint)

// Adds acc[s][j] (lane 4 l + t: row 64 s + 16 l + 4 j + t, times 4^s) to the rows' sums: a transpose of
// 128-bit lanes puts each crumb's rows in order.
static void add_to_sums(const __m512i acc[4][4], int32_t * sums) {
    for (int s = 0; s < 4; ++s) {
        const __m512i t0 = _mm512_shuffle_i32x4(acc[s][0], acc[s][1], 0x44), t1 = _mm512_shuffle_i32x4(acc[s][0], acc[s][1], 0xEE);
        const __m512i t2 = _mm512_shuffle_i32x4(acc[s][2], acc[s][3], 0x44), t3 = _mm512_shuffle_i32x4(acc[s][2], acc[s][3], 0xEE);
        const __m512i rows[4] = {
            _mm512_shuffle_i32x4(t0, t2, 0x88), _mm512_shuffle_i32x4(t0, t2, 0xDD),
            _mm512_shuffle_i32x4(t1, t3, 0x88), _mm512_shuffle_i32x4(t1, t3, 0xDD),
        };
        for (int l = 0; l < 4; ++l) {
            int32_t * out = sums + SPARSE_I2_PIECE * s + 16 * l;
            _mm512_store_si512(out, _mm512_add_epi32(_mm512_load_si512(out), _mm512_srai_epi32(rows[l], 2 * s)));
        }
    }
}

static void rows_avx512(const sparse_i2_ctx * c, uint32_t v, const uint8_t * pieces, int32_t * sums) {
    const uint32_t * offsets = sparse_i2_offsets(c->p, v);
    const int8_t * inputs = sparse_i2_inputs(c->p, v);
    const __m512i crumb[4] = { _mm512_set1_epi8(0x03), _mm512_set1_epi8(0x0c), _mm512_set1_epi8(0x30), _mm512_set1_epi8((char)0xc0) };
    const uint32_t quads = c->count[v] / 4;
    for (uint32_t q0 = 0; q0 < quads; q0 += RUN_QUADS) {
        const uint32_t q1 = rsr_min_u32(q0 + RUN_QUADS, quads);
        __m512i acc[4][4];
        for (int s = 0; s < 4; ++s) for (int j = 0; j < 4; ++j) acc[s][j] = _mm512_setzero_si512();
        for (uint32_t q = q0; q < q1; ++q) {
            PREFETCH_QUAD(pieces, offsets, rsr_min_u32(q + PREFETCH_QUADS, quads - 1), _MM_HINT_T0);
            PREFETCH_QUAD(pieces, offsets, rsr_min_u32(q + PREFETCH_L2_QUADS, quads - 1), _MM_HINT_T1);
            const uint32_t * at = offsets + 4 * q;
            const __m512i a = _mm512_load_si512(pieces + at[0]), b = _mm512_load_si512(pieces + at[1]);
            const __m512i cc = _mm512_load_si512(pieces + at[2]), d = _mm512_load_si512(pieces + at[3]);
            int32_t four;
            memcpy(&four, inputs + 4 * q, sizeof four);
            const __m512i x = _mm512_set1_epi32(four);
            const __m512i ab_lo = _mm512_unpacklo_epi8(a, b), ab_hi = _mm512_unpackhi_epi8(a, b);
            const __m512i cd_lo = _mm512_unpacklo_epi8(cc, d), cd_hi = _mm512_unpackhi_epi8(cc, d);
            // dword 4 l + t of codes[j]: byte 16 l + 4 j + t of the four columns
            const __m512i codes[4] = {
                _mm512_unpacklo_epi16(ab_lo, cd_lo), _mm512_unpackhi_epi16(ab_lo, cd_lo),
                _mm512_unpacklo_epi16(ab_hi, cd_hi), _mm512_unpackhi_epi16(ab_hi, cd_hi),
            };
            #pragma clang loop unroll(full)
            for (int s = 0; s < 4; ++s) {
                #pragma clang loop unroll(full)
                for (int j = 0; j < 4; ++j) acc[s][j] = _mm512_dpbusd_epi32(acc[s][j], _mm512_and_si512(codes[j], crumb[s]), x);
            }
        }
        add_to_sums(acc, sums);
    }
}

// The nonzero inputs, 16 at a time, compressed into place without a branch per input. Each store is full
// width: the lanes past the nonzero ones land in room the list has (n <= col, and col + 16 <= cols).
static uint32_t list_nonzero(const int8_t * x, uint32_t cols, uint32_t * offsets, int8_t * inputs) {
    const __m512i step = _mm512_set1_epi32(16 * SPARSE_I2_PIECE);
    __m512i at = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                    _mm512_set1_epi32(SPARSE_I2_PIECE));
    uint32_t col = 0, n = 0;
    for (; col + 16 <= cols; col += 16, at = _mm512_add_epi32(at, step)) {
        const __m512i in = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(x + col)));
        const __mmask16 nonzero = _mm512_test_epi32_mask(in, in);
        _mm512_storeu_si512(offsets + n, _mm512_maskz_compress_epi32(nonzero, at));
        _mm_storeu_si128((__m128i *)(inputs + n), _mm512_cvtepi32_epi8(_mm512_maskz_compress_epi32(nonzero, in)));
        n += (uint32_t)__builtin_popcount(nonzero);
    }
    return n + sparse_i2_list_from(x, col, cols, offsets + n, inputs + n);
}

rsr_status rsr_product_i8_sparse_i2_avx512(const rsr_product * p) { return sparse_i2_run(p, list_nonzero, rows_avx512); }

#pragma clang attribute pop

#endif
