// rsr-avx2.c: the AVX2 pieces of the batched classical RSR driver (rsr-batch.h).
#if defined(__x86_64__)

#include "../../rsr-batch.h"
#include "simd-x86.h"
#include "transpose-x86.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX2))), apply_to = function)

// ---- Segment sums ---------------------------------------------------------------------------------------
// A 64-byte row of biased activations is two 256-bit halves; see rsr-batch.h for the word/high-byte sums.

// Lanes of one 64-vector tile from its word sums (lows: even vectors) and high-byte sums (odd vectors), as
// int32 in wide[8] (8 lanes each: even 0..31 then odd 0..31).
static inline void widen_run(__m256i lows0, __m256i lows1, __m256i highs0, __m256i highs1, __m256i wide[8]) {
    const __m256i parts[4] = { lows0, lows1, highs0, highs1 };
    for (int i = 0; i < 4; ++i) {
        wide[2 * i] = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(parts[i]));
        wide[2 * i + 1] = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(parts[i], 1));
    }
}

// Rows are gathered in the permutation's order, which no hardware prefetcher follows. Where a tile outgrows
// half of Zen 1-3's 512 KiB L2, asking for the row 16 places ahead into L1 measured 5-15% faster on Zen 1
// (8 and 32 ahead: no better); tiles of 160 and 256 KiB ran 9-11% slower with it, their rows already in L2.
// The narrow int16 tiles' rows of 16-64 bytes ran up to 2x slower with it too, and go without.
enum { SEGMENT_ROW_PREFETCH = 16 };
#define PREFETCHED_TILE_BYTES (256u << 10)
#define DEFINE_SEGMENTS_I8(IDX)                                                                              \
static inline __attribute__((always_inline)) void segments_i8_##IDX(                                         \
        const IDX * perm, const IDX * seg, uint32_t npat, const uint8_t * xt, int NT, bool ahead, int32_t * S) { \
    const uint32_t tile = RSR_I8_TILE * (uint32_t)NT;                                                         \
    const uint32_t end = seg[npat];                                                                           \
    for (uint32_t q = 0; q < npat; ++q) {                                                                    \
        int32_t * out = S + (uint64_t)q * tile;                                                               \
        uint32_t j0 = seg[q];                                                                                 \
        do {                                                                                                  \
            const uint32_t j1 = rsr_min_u32(j0 + RSR_U8_RUN, seg[q + 1]);                                     \
            __m256i w[4], hi[4];                                                                              \
            for (int i = 0; i < 2 * NT; ++i) w[i] = hi[i] = _mm256_setzero_si256();                           \
            for (uint32_t j = j0; j < j1; ++j) {                                                              \
                const __m256i * row = (const __m256i *)(xt + (uint64_t)perm[j] * tile);                       \
                if (ahead && j + SEGMENT_ROW_PREFETCH < end) {                                                \
                    const char * next = (const char *)(xt + (uint64_t)perm[j + SEGMENT_ROW_PREFETCH] * tile); \
                    for (int i = 0; i < NT; ++i) _mm_prefetch(next + 64 * i, _MM_HINT_T0);                   \
                }                                                                                             \
                for (int i = 0; i < 2 * NT; ++i) {                                                            \
                    const __m256i a = _mm256_load_si256(row + i);                                            \
                    w[i] = _mm256_add_epi16(w[i], a);                                                         \
                    hi[i] = _mm256_add_epi16(hi[i], _mm256_srli_epi16(a, 8));                                 \
                }                                                                                             \
            }                                                                                                 \
            /* Word lanes 0..15 of a tile's row hold vectors 0..31 (its first half), 16..31 vectors 32..63. */ \
            for (int t = 0; t < NT; ++t) {                                                                    \
                __m256i wide[8];                                                                              \
                widen_run(_mm256_sub_epi16(w[2 * t], _mm256_slli_epi16(hi[2 * t], 8)),                        \
                          _mm256_sub_epi16(w[2 * t + 1], _mm256_slli_epi16(hi[2 * t + 1], 8)), hi[2 * t], hi[2 * t + 1], wide); \
                __m256i * o = (__m256i *)(out + RSR_I8_TILE * t);                                             \
                if (j0 == seg[q]) for (int i = 0; i < 8; ++i) _mm256_store_si256(o + i, wide[i]);            \
                else for (int i = 0; i < 8; ++i) _mm256_store_si256(o + i, _mm256_add_epi32(_mm256_load_si256(o + i), wide[i])); \
            }                                                                                                 \
            j0 = j1;                                                                                          \
        } while (j0 < seg[q + 1]);                                                                            \
    }                                                                                                         \
}

#define DEFINE_SEGMENTS_F32(IDX)                                                                             \
static void segments_f32_##IDX(const IDX * perm, const IDX * seg, uint32_t npat, const float * xt,            \
                               uint32_t tile, float * S) {                                                    \
    for (uint32_t q = 0; q < npat; ++q) {                                                                    \
        for (uint32_t t = 0; t < tile; t += 16) {                                                             \
            __m256 a = _mm256_setzero_ps(), b = a;                                                            \
            for (uint32_t j = seg[q]; j < seg[q + 1]; ++j) {                                                  \
                const float * row = xt + (uint64_t)perm[j] * tile + t;                                       \
                a = _mm256_add_ps(a, _mm256_load_ps(row));                                                    \
                b = _mm256_add_ps(b, _mm256_load_ps(row + 8));                                                \
            }                                                                                                 \
            _mm256_store_ps(S + (uint64_t)q * tile + t, a);                                                   \
            _mm256_store_ps(S + (uint64_t)q * tile + t + 8, b);                                               \
        }                                                                                                     \
    }                                                                                                         \
}

// Narrow tiles (rsr-layout.h): rows of W int16 values, added as int16 in 8-lane halves. Two ways to the
// segment sums, chosen by the size of the running sums (rsr_i16_prefix_bytes):
// - prefix: one pass adds every row of the block in perm order into running sums, kept after each row, and
//   a segment is the difference of the sums at its ends. The sums wrap, but a difference over at most
//   RSR_U8_RUN rows fits int16 (|x| <= 128) and so is exact; longer segments take it in such steps. No
//   branch depends on a segment's length: a loop per segment mispredicts its exit every segment (81 a
//   block for ternary k = 4), which cost a third of the time at 8 vectors and 2560 columns.
// - runs: a loop per segment and run of RSR_U8_RUN rows, sign-extended into int32 after each run. Where
//   the running sums would not stay in L2 beside the tile (wide inputs, wide tiles), this measured faster.
#define DEFINE_SEGMENTS_I16(IDX, W)                                                                          \
static void segments_i16_prefix_##IDX##_##W(const IDX * perm, const IDX * seg, uint32_t npat,               \
                                            const int16_t * xt, int16_t * prefix, int32_t * S) {             \
    __m128i acc[W / 8];                                                                                       \
    for (int i = 0; i < W / 8; ++i) acc[i] = _mm_setzero_si128(), _mm_store_si128((__m128i *)prefix + i, acc[i]); \
    for (uint32_t j = 0; j < seg[npat]; ++j) {                                                                \
        const __m128i * row = (const __m128i *)(xt + (uint64_t)perm[j] * W);                                  \
        __m128i * sums = (__m128i *)(prefix + (uint64_t)(j + 1) * W);                                         \
        for (int i = 0; i < W / 8; ++i) {                                                                     \
            acc[i] = _mm_add_epi16(acc[i], _mm_load_si128(row + i));                                          \
            _mm_store_si128(sums + i, acc[i]);                                                                \
        }                                                                                                     \
    }                                                                                                         \
    for (uint32_t q = 0; q < npat; ++q) {                                                                    \
        __m256i wide[W / 8];                                                                                  \
        for (int i = 0; i < W / 8; ++i) wide[i] = _mm256_setzero_si256();                                     \
        for (uint32_t j0 = seg[q]; j0 < seg[q + 1]; j0 += RSR_U8_RUN) {                                       \
            const uint32_t j1 = rsr_min_u32(j0 + RSR_U8_RUN, seg[q + 1]);                                     \
            const __m128i * a = (const __m128i *)(prefix + (uint64_t)j0 * W), * b = (const __m128i *)(prefix + (uint64_t)j1 * W); \
            for (int i = 0; i < W / 8; ++i) {                                                                 \
                const __m128i d = _mm_sub_epi16(_mm_load_si128(b + i), _mm_load_si128(a + i));                \
                wide[i] = _mm256_add_epi32(wide[i], _mm256_cvtepi16_epi32(d));                                \
            }                                                                                                 \
        }                                                                                                     \
        for (int i = 0; i < W / 8; ++i) _mm256_store_si256((__m256i *)(S + (uint64_t)q * W + 8 * i), wide[i]); \
    }                                                                                                         \
}                                                                                                             \
static void segments_i16_runs_##IDX##_##W(const IDX * perm, const IDX * seg, uint32_t npat,                 \
                                          const int16_t * xt, int16_t * prefix, int32_t * S) {               \
    (void)prefix;                                                                                             \
    for (uint32_t q = 0; q < npat; ++q) {                                                                    \
        __m256i wide[W / 8];                                                                                  \
        for (int i = 0; i < W / 8; ++i) wide[i] = _mm256_setzero_si256();                                     \
        for (uint32_t j0 = seg[q]; j0 < seg[q + 1]; j0 += RSR_U8_RUN) {                                       \
            const uint32_t j1 = rsr_min_u32(j0 + RSR_U8_RUN, seg[q + 1]);                                     \
            __m128i acc[W / 8];                                                                               \
            for (int i = 0; i < W / 8; ++i) acc[i] = _mm_setzero_si128();                                     \
            for (uint32_t j = j0; j < j1; ++j) {                                                              \
                const __m128i * row = (const __m128i *)(xt + (uint64_t)perm[j] * W);                          \
                for (int i = 0; i < W / 8; ++i) acc[i] = _mm_add_epi16(acc[i], _mm_load_si128(row + i));      \
            }                                                                                                 \
            for (int i = 0; i < W / 8; ++i) wide[i] = _mm256_add_epi32(wide[i], _mm256_cvtepi16_epi32(acc[i])); \
        }                                                                                                     \
        for (int i = 0; i < W / 8; ++i) _mm256_store_si256((__m256i *)(S + (uint64_t)q * W + 8 * i), wide[i]); \
    }                                                                                                         \
}

DEFINE_SEGMENTS_I8(uint16_t)
DEFINE_SEGMENTS_I8(uint32_t)
DEFINE_SEGMENTS_I16(uint16_t, 8)
DEFINE_SEGMENTS_I16(uint16_t, 16)
DEFINE_SEGMENTS_I16(uint16_t, 32)
DEFINE_SEGMENTS_I16(uint32_t, 8)
DEFINE_SEGMENTS_I16(uint32_t, 16)
DEFINE_SEGMENTS_I16(uint32_t, 32)
DEFINE_SEGMENTS_F32(uint16_t)
DEFINE_SEGMENTS_F32(uint32_t)

// ---- Folds on rows of lanes (see rsr-layout.h for the scalar form) ---------------------------------------

static inline __m256i load_i32(const int32_t * p) { return _mm256_load_si256((const __m256i *)p); }
static inline void store_i32(int32_t * p, __m256i v) { _mm256_store_si256((__m256i *)p, v); }
RSR_DEFINE_ROW_FOLDS(int32_t, __m256i, 8, _mm256_setzero_si256(), _mm256_add_epi32, _mm256_sub_epi32, load_i32, store_i32, i32)
RSR_DEFINE_ROW_FOLDS(float, __m256, 8, _mm256_setzero_ps(), _mm256_add_ps, _mm256_sub_ps, _mm256_load_ps, _mm256_store_ps, f32)

// ---- Entry points ---------------------------------------------------------------------------------------

static void segments_i8(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                        const uint8_t * xt, uint32_t tile, int32_t * S) {
    const uint32_t npat = rsr_npat(h);
    // the tile count and the prefetch as constants, so each variant's loops unroll
#define SEGMENTS(IDX, NT, AHEAD) segments_i8_##IDX((const IDX *)perm, (const IDX *)seg, npat, xt, NT, AHEAD, S)
#define BY_TILE(IDX)                                                                                         \
    if (tile > RSR_I8_TILE) { if (ahead) SEGMENTS(IDX, 2, true); else SEGMENTS(IDX, 2, false); }           \
    else { if (ahead) SEGMENTS(IDX, 1, true); else SEGMENTS(IDX, 1, false); }
    const bool ahead = (uint64_t)h->cols * tile > PREFETCHED_TILE_BYTES;
    if (rsr_is_wide(h)) {
        BY_TILE(uint32_t)
    } else {
        BY_TILE(uint16_t)
    }
#undef BY_TILE
#undef SEGMENTS
}

#define SEGMENTS_I16_BY_TILE(HOW, IDX)                                                                       \
    (tile == 8 ? segments_i16_##HOW##_##IDX##_8 : tile == 16 ? segments_i16_##HOW##_##IDX##_16 : segments_i16_##HOW##_##IDX##_32)

static void segments_i16(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                         const int16_t * xt, uint32_t tile, int16_t * prefix, int32_t * S) {
    const uint32_t npat = rsr_npat(h);
    if (rsr_is_wide(h)) {
        (prefix ? SEGMENTS_I16_BY_TILE(prefix, uint32_t) : SEGMENTS_I16_BY_TILE(runs, uint32_t))(
            (const uint32_t *)perm, (const uint32_t *)seg, npat, xt, prefix, S);
    } else {
        (prefix ? SEGMENTS_I16_BY_TILE(prefix, uint16_t) : SEGMENTS_I16_BY_TILE(runs, uint16_t))(
            (const uint16_t *)perm, (const uint16_t *)seg, npat, xt, prefix, S);
    }
}

static void segments_f32(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                         const float * xt, uint32_t tile, float * S) {
    if (rsr_is_wide(h)) segments_f32_uint32_t((const uint32_t *)perm, (const uint32_t *)seg, rsr_npat(h), xt, tile, S);
    else segments_f32_uint16_t((const uint16_t *)perm, (const uint16_t *)seg, rsr_npat(h), xt, tile, S);
}

// A 128-vector tile's transposed rows are gathered from L2 in random order, and past 320 KB (2560 columns)
// they stop fitting beside the rest of a block's work in Zen 1-3's 512 KB: on Zen 1, 6912 columns ran 15-27%
// faster as two 64-vector tiles of 442 KB each than as one tile of 885 KB, while 2560 columns ran 7-29%
// faster as one on 2 threads (5% slower on 1; docs/BENCHMARKS.md).
#define WIDE_TILE_BYTES (320u << 10)

static const rsr_batch_ops ops = {
    .segments_i8 = segments_i8, .segments_f32 = segments_f32, .fold_i32 = fold_i32, .fold_f32 = fold_f32,
    .transpose_i8 = rsr_transpose_i8_sse2, .untranspose_i8 = rsr_untranspose_i8_sse2, .segments_i16 = segments_i16,
    .i8_wide_tile_bytes = WIDE_TILE_BYTES,
};

rsr_status rsr_product_i8_rsr_avx2(const rsr_product * p) { return rsr_batch_product(p, RSR_ACT_I8, &ops); }
rsr_status rsr_product_f32_rsr_avx2(const rsr_product * p) { return rsr_batch_product(p, RSR_ACT_F32, &ops); }
rsr_status rsr_products_i8_rsr_avx2(const rsr_product * const * p, uint32_t n) {
    return rsr_batch_products(p, n, RSR_ACT_I8, &ops);
}

#pragma clang attribute pop

#endif
