// rsr-avx512.c: the AVX-512 pieces of the batched classical RSR driver (rsr-batch.h): segment sums over
// transposed rows, SIMD across the batch, and the fold on rows of lanes.
#if defined(__x86_64__)

#include "../../rsr-batch.h"
#include "simd-x86.h"
#include "transpose-x86.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX512))), apply_to = function)

#define MAX_REGS 4 // 512-bit registers per transposed f32 row (a tile of 64)

// ---- Segment sums ---------------------------------------------------------------------------------------

// One run of at most RSR_U8_RUN permuted rows of NT 64-vector tiles (rows of xt are NT * 64 bytes), summed
// as parts[t][0..3]: 16 int32 lanes each, the tile's even vectors (0, 2, .., 62) in parts 0 and 1, the odd
// ones in parts 2 and 3.
#define DEFINE_RUN_I8(IDX)                                                                                   \
static inline __attribute__((always_inline)) void run_i8_##IDX(                                             \
        const IDX * perm, uint32_t j0, uint32_t j1, const uint8_t * xt, int NT, __m512i parts[2][4]) {        \
    const uint32_t stride = (uint32_t)NT * RSR_I8_TILE;                                                       \
    __m512i words[2], highs[2];                                                                               \
    for (int t = 0; t < NT; ++t) words[t] = highs[t] = _mm512_setzero_si512();                                \
    for (uint32_t j = j0; j < j1; ++j) {                                                                      \
        const uint8_t * row = xt + (uint64_t)perm[j] * stride;                                                \
        for (int t = 0; t < NT; ++t) {                                                                        \
            const __m512i bytes = _mm512_load_si512(row + t * RSR_I8_TILE);                                   \
            words[t] = _mm512_add_epi16(words[t], bytes);                                                     \
            highs[t] = _mm512_add_epi16(highs[t], _mm512_srli_epi16(bytes, 8));                               \
        }                                                                                                     \
    }                                                                                                         \
    for (int t = 0; t < NT; ++t) {                                                                            \
        const __m512i lows = _mm512_sub_epi16(words[t], _mm512_slli_epi16(highs[t], 8));                      \
        parts[t][0] = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(lows));                                    \
        parts[t][1] = _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(lows, 1));                              \
        parts[t][2] = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(highs[t]));                                \
        parts[t][3] = _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(highs[t], 1));                          \
    }                                                                                                         \
}

// The segment sums of a block with the fold's lowest digit applied in registers (fold3 / fold2 in
// rsr-layout.h peel the top digit; any digit can go first): the patterns m base + d (d < base) are
// consecutive, so S[m] gets their sum and `first` their signed sum (ternary: digit 2 minus digit 0; binary:
// digit 1), and two thirds (half) of S are never stored or reloaded. Patterns stay in order: the perm is
// read as one stream.
#define DEFINE_SEGMENTS_FIRST_I8(IDX)                                                                        \
static inline __attribute__((always_inline)) void segments_first_i8_##IDX(                                  \
        const IDX * perm, const IDX * seg, uint32_t npat, uint32_t base, const uint8_t * xt, int NT,          \
        int32_t * S, int32_t * first) {                                                                       \
    __m512i acc[2][4], parts[2][4];                                                                           \
    for (int t = 0; t < NT; ++t) for (int i = 0; i < 4; ++i) acc[t][i] = _mm512_setzero_si512();              \
    for (uint32_t m = 0; m < npat / base; ++m) {                                                              \
        __m512i sum[2][4];                                                                                    \
        for (int t = 0; t < NT; ++t) for (int i = 0; i < 4; ++i) sum[t][i] = _mm512_setzero_si512();          \
        for (uint32_t d = 0; d < base; ++d) {                                                                 \
            const uint32_t q = m * base + d;                                                                  \
            const int sign = base == 3 ? (int)d - 1 : (int)d;                                                 \
            for (uint32_t j0 = seg[q]; j0 < seg[q + 1]; j0 += RSR_U8_RUN) {                                   \
                run_i8_##IDX(perm, j0, rsr_min_u32(j0 + RSR_U8_RUN, seg[q + 1]), xt, NT, parts);               \
                for (int t = 0; t < NT; ++t) for (int i = 0; i < 4; ++i) {                                    \
                    sum[t][i] = _mm512_add_epi32(sum[t][i], parts[t][i]);                                     \
                    if (sign > 0) acc[t][i] = _mm512_add_epi32(acc[t][i], parts[t][i]);                       \
                    else if (sign < 0) acc[t][i] = _mm512_sub_epi32(acc[t][i], parts[t][i]);                  \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
        int32_t * out = S + (uint64_t)m * NT * RSR_I8_TILE;                                                   \
        for (int t = 0; t < NT; ++t) for (int i = 0; i < 4; ++i) _mm512_store_si512(out + 64 * t + 16 * i, sum[t][i]); \
    }                                                                                                         \
    for (int t = 0; t < NT; ++t) for (int i = 0; i < 4; ++i) _mm512_store_si512(first + 64 * t + 16 * i, acc[t][i]); \
}

#define DEFINE_SEGMENTS_F32(IDX)                                                                             \
static inline __attribute__((always_inline)) void segments_f32_##IDX(                                       \
        const IDX * perm, const IDX * seg, uint32_t npat, const float * xt, int R, float * S) {               \
    const uint32_t tile = 16u * (uint32_t)R;                                                                 \
    for (uint32_t q = 0; q < npat; ++q) {                                                                    \
        __m512 acc[MAX_REGS];                                                                                 \
        for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();                                             \
        for (uint32_t j = seg[q]; j < seg[q + 1]; ++j) {                                                      \
            const float * row = xt + (uint64_t)perm[j] * tile;                                               \
            for (int r = 0; r < R; ++r) acc[r] = _mm512_add_ps(acc[r], _mm512_load_ps(row + 16 * r));       \
        }                                                                                                     \
        for (int r = 0; r < R; ++r) _mm512_store_ps(S + (uint64_t)q * tile + 16 * r, acc[r]);               \
    }                                                                                                         \
}

DEFINE_RUN_I8(uint16_t)
DEFINE_RUN_I8(uint32_t)
DEFINE_SEGMENTS_FIRST_I8(uint16_t)
DEFINE_SEGMENTS_FIRST_I8(uint32_t)
DEFINE_SEGMENTS_F32(uint16_t)
DEFINE_SEGMENTS_F32(uint32_t)

// ---- Folds on rows of the tile (see rsr-layout.h for the scalar form) -----------------------------------
// Rows are `lanes` 32-bit values wide (a multiple of 16); 32-bit integer and float share the structure.

static inline __m512i load_i32(const int32_t * p) { return _mm512_load_si512(p); }
static inline void store_i32(int32_t * p, __m512i v) { _mm512_store_si512(p, v); }
RSR_DEFINE_ROW_FOLDS(int32_t, __m512i, 16, _mm512_setzero_si512(), _mm512_add_epi32, _mm512_sub_epi32, load_i32, store_i32, i32)
RSR_DEFINE_ROW_FOLDS(float, __m512, 16, _mm512_setzero_ps(), _mm512_add_ps, _mm512_sub_ps, _mm512_load_ps, _mm512_store_ps, f32)

// ---- Rows out ---------------------------------------------------------------------------------------------

// r[j] = column j of the 16 x 16 block of int32 rows r: 4-row groups within 128-bit lanes by unpacks, then
// the lanes across registers by two rounds of 128-bit shuffles.
static inline __attribute__((always_inline)) void transpose16_i32(__m512i r[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) { // lane k of r[i + c]: column 4 k + c of rows i .. i + 3
        r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 4; ++i) { // lanes 0, 2 and 1, 3 of rows 0..7, and of rows 8..15
        t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 8; ++i) {
        r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
    }
}

// The staged rows out[n_rows][tile] less bias into y[v][i], 16 lanes at a time, so that every vector takes
// its rows in one 64-byte store. 4 x 4 blocks (the SSE2 version) store 16 bytes into each of the tile's
// lines in turn, rows x 4 bytes apart: for 2560 rows the even vectors' lines share one set of L1.
static void untranspose_i8(const int32_t * out, uint32_t tile, uint32_t n_rows, uint32_t nv, const int32_t * bias, int32_t * y,
                           uint32_t y_stride) {
    for (uint32_t i = 0; i < n_rows; i += 16) {
        const uint32_t n = rsr_min_u32(16, n_rows - i);
        const __mmask16 rows = (__mmask16)((1u << n) - 1);
        const __m512i b = _mm512_maskz_loadu_epi32(rows, bias + i);
        for (uint32_t l = 0; l < tile; l += 16) {
            const uint32_t v = rsr_i8_vector_of_lane(l); // lanes l .. l + 15: vectors v, v + 2, .., v + 30
            if (v >= nv) continue;
            __m512i r[16];
            for (uint32_t j = 0; j < 16; ++j) {
                r[j] = j < n ? _mm512_loadu_si512(out + (uint64_t)(i + j) * tile + l) : _mm512_setzero_si512();
            }
            transpose16_i32(r);
            for (uint32_t j = 0; j < 16 && v + 2 * j < nv; ++j) {
                _mm512_mask_storeu_epi32(y + (uint64_t)(v + 2 * j) * y_stride + i, rows, _mm512_sub_epi32(r[j], b));
            }
        }
    }
}

// ---- Entry points ---------------------------------------------------------------------------------------

static void segments_first_i8(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                              const uint8_t * xt, uint32_t tile, int32_t * S, int32_t * first) {
    const int NT = tile > RSR_I8_TILE ? 2 : 1;
    const uint32_t npat = rsr_npat(h);
    // base and NT as constants, so each variant's loops unroll
#define FIRST(IDX, BASE, NT_) segments_first_i8_##IDX((const IDX *)perm, (const IDX *)seg, npat, BASE, xt, NT_, S, first)
#define FIRST_NT(IDX, BASE) do { if (NT == 2) FIRST(IDX, BASE, 2); else FIRST(IDX, BASE, 1); } while (0)
#define FIRST_BASE(IDX) do { if (h->weights == RSR_WEIGHTS_TERNARY) FIRST_NT(IDX, 3); else FIRST_NT(IDX, 2); } while (0)
    if (rsr_is_wide(h)) FIRST_BASE(uint32_t);
    else FIRST_BASE(uint16_t);
#undef FIRST_BASE
#undef FIRST_NT
#undef FIRST
}

#define WITH_REGS(tile, body) \
    switch ((tile) / 16) { case 1: { enum { R = 1 }; body; } break; case 2: { enum { R = 2 }; body; } break; \
                           case 3: { enum { R = 3 }; body; } break; default: { enum { R = 4 }; body; } break; }

static void segments_f32(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                         const float * xt, uint32_t tile, float * S) {
    if (rsr_is_wide(h)) WITH_REGS(tile, segments_f32_uint32_t((const uint32_t *)perm, (const uint32_t *)seg, rsr_npat(h), xt, R, S))
    else WITH_REGS(tile, segments_f32_uint16_t((const uint16_t *)perm, (const uint16_t *)seg, rsr_npat(h), xt, R, S))
}

static const rsr_batch_ops ops = {
    .segments_f32 = segments_f32, .fold_i32 = fold_i32, .fold_f32 = fold_f32,
    .transpose_i8 = rsr_transpose_i8_sse2, .untranspose_i8 = untranspose_i8,
    .segments_first_i8 = segments_first_i8,
};

rsr_status rsr_product_i8_rsr_avx512(const rsr_product * p) { return rsr_batch_product(p, RSR_ACT_I8, &ops); }
rsr_status rsr_product_f32_rsr_avx512(const rsr_product * p) { return rsr_batch_product(p, RSR_ACT_F32, &ops); }
rsr_status rsr_products_i8_rsr_avx512(const rsr_product * const * p, uint32_t n) {
    return rsr_batch_products(p, n, RSR_ACT_I8, &ops);
}

#pragma clang attribute pop

#endif
