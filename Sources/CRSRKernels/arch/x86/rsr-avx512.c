// rsr-avx512.c: classical RSR products for batches with AVX-512. The batch tile is transposed to
// [cols][tile] so each permuted column is one contiguous row of the tile, and a segment sum adds those
// rows, SIMD across the batch. The fold then runs on whole rows of segment sums.
//
// int8 inputs: gathering rows from L2 is the bottleneck, so rows hold the 64 activations as bytes biased
// to unsigned (x + 128), one cache line. A segment adds them as 32 16-bit words w = lo + 256 hi (lo: even
// vector, hi: odd vector), wrapping, and separately adds w >> 8 = hi. Over at most 256 rows both sums of
// bytes fit 16 bits, so sum(lo) = sum(w) - 256 sum(hi) exactly: no byte unpacking in the inner loop. The
// bias adds 128 per column, i.e. 128 * (sum of the row's weights) per output, removed after the fold.
#if defined(__x86_64__)

#include "../../rsr-layout.h"
#include "simd-x86.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX512))), apply_to = function)

#define MAX_REGS 4          // 512-bit registers per transposed f32 row (a tile of 64)
#define U8_RUN 256u         // sums of up to 256 bytes fit in 16 bits
#define I8_TILE 64u         // int8 tile: one 64-byte row per column

// ---- Transposition of the batch tile -------------------------------------------------------------------

typedef struct transpose_ctx {
    const rsr_product * p;
    uint32_t v0, nv, tile;  // vectors [v0, v0 + nv) of the batch, padded to tile columns
    bool i8;
} transpose_ctx;

// Columns in chunks of 64: each vector's chunk is read contiguously and scattered into 64 rows of xt that
// stay in L1 while the chunk is filled.
static void transpose_task(void * raw, uint32_t task, int thread) {
    const transpose_ctx * c = raw;
    const rsr_layout_header * h = c->p->h;
    const uint32_t c0 = task * 64, n = rsr_min_u32(64, h->cols - c0);
    if (c->i8) {
        uint8_t * xt = c->p->work + (uint64_t)c0 * c->tile;
        for (uint32_t v = 0; v < c->tile; ++v) {
            const int8_t * x = (const int8_t *)c->p->x + (uint64_t)(c->v0 + v) * h->cols + c0;
            if (v < c->nv) for (uint32_t i = 0; i < n; ++i) xt[(uint64_t)i * c->tile + v] = (uint8_t)(x[i] + 128);
            else for (uint32_t i = 0; i < n; ++i) xt[(uint64_t)i * c->tile + v] = 128;
        }
    } else {
        float * xt = (float *)c->p->work + (uint64_t)c0 * c->tile;
        for (uint32_t v = 0; v < c->tile; ++v) {
            const float * x = (const float *)c->p->x + (uint64_t)(c->v0 + v) * h->cols + c0;
            for (uint32_t i = 0; i < n; ++i) xt[(uint64_t)i * c->tile + v] = v < c->nv ? x[i] : 0.0f;
        }
    }
}

// ---- Segment sums ---------------------------------------------------------------------------------------

// S[q] = the biased segment sums of NT 64-vector tiles, as 64 int32 lanes per tile: lanes 0..31 hold the
// tile's even vectors (0, 2, .., 62), lanes 32..63 the odd ones. Rows of xt are NT * 64 bytes.
#define DEFINE_SEGMENTS_I8(IDX)                                                                              \
static inline __attribute__((always_inline)) void segments_i8_##IDX(                                        \
        const IDX * perm, const IDX * seg, uint32_t npat, const uint8_t * xt, int NT, int32_t * S) {          \
    const uint32_t stride = (uint32_t)NT * I8_TILE;                                                           \
    for (uint32_t q = 0; q < npat; ++q) {                                                                    \
        __m512i wide[2][4];                                                                                   \
        for (int t = 0; t < NT; ++t) for (int i = 0; i < 4; ++i) wide[t][i] = _mm512_setzero_si512();         \
        for (uint32_t j0 = seg[q]; j0 < seg[q + 1]; j0 += U8_RUN) {                                           \
            const uint32_t j1 = rsr_min_u32(j0 + U8_RUN, seg[q + 1]);                                         \
            __m512i words[2], highs[2];                                                                       \
            for (int t = 0; t < NT; ++t) words[t] = highs[t] = _mm512_setzero_si512();                        \
            for (uint32_t j = j0; j < j1; ++j) {                                                              \
                const uint8_t * row = xt + (uint64_t)perm[j] * stride;                                       \
                for (int t = 0; t < NT; ++t) {                                                                \
                    const __m512i bytes = _mm512_load_si512(row + t * I8_TILE);                              \
                    words[t] = _mm512_add_epi16(words[t], bytes);                                             \
                    highs[t] = _mm512_add_epi16(highs[t], _mm512_srli_epi16(bytes, 8));                       \
                }                                                                                             \
            }                                                                                                 \
            for (int t = 0; t < NT; ++t) {                                                                    \
                const __m512i lows = _mm512_sub_epi16(words[t], _mm512_slli_epi16(highs[t], 8));              \
                wide[t][0] = _mm512_add_epi32(wide[t][0], _mm512_cvtepu16_epi32(_mm512_castsi512_si256(lows))); \
                wide[t][1] = _mm512_add_epi32(wide[t][1], _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(lows, 1))); \
                wide[t][2] = _mm512_add_epi32(wide[t][2], _mm512_cvtepu16_epi32(_mm512_castsi512_si256(highs[t]))); \
                wide[t][3] = _mm512_add_epi32(wide[t][3], _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(highs[t], 1))); \
            }                                                                                                 \
        }                                                                                                     \
        int32_t * out = S + (uint64_t)q * stride;                                                             \
        for (int t = 0; t < NT; ++t) for (int i = 0; i < 4; ++i) _mm512_store_si512(out + 64 * t + 16 * i, wide[t][i]); \
    }                                                                                                         \
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

DEFINE_SEGMENTS_I8(uint16_t)
DEFINE_SEGMENTS_I8(uint32_t)
DEFINE_SEGMENTS_F32(uint16_t)
DEFINE_SEGMENTS_F32(uint32_t)

// ---- Folds on rows of the tile (see rsr-layout.h for the scalar form) -----------------------------------
// Rows are `lanes` 32-bit values wide (a multiple of 16); 32-bit integer and float share the structure.

#define DEFINE_FOLDS(T, V, ZERO, ADD, SUB, LOAD, STORE, suffix)                                               \
static void fold2_##suffix(T * S, uint32_t k, uint32_t lanes, T * out) {                                      \
    uint32_t n = 1u << k;                                                                                     \
    for (int i = (int)k - 1; i >= 0; --i) {                                                                  \
        n >>= 1;                                                                                              \
        for (uint32_t l = 0; l < lanes; l += 16) {                                                            \
            V acc = ZERO;                                                                                     \
            for (uint32_t j = 0; j < n; ++j) {                                                                \
                const V upper = LOAD(S + (uint64_t)(n + j) * lanes + l);                                      \
                acc = ADD(acc, upper);                                                                        \
                STORE(S + (uint64_t)j * lanes + l, ADD(LOAD(S + (uint64_t)j * lanes + l), upper));            \
            }                                                                                                 \
            STORE(out + (uint64_t)i * lanes + l, acc);                                                        \
        }                                                                                                     \
    }                                                                                                         \
}                                                                                                             \
static void fold3_##suffix(T * S, uint32_t k, uint32_t lanes, T * out) {                                      \
    uint32_t n = rsr_ipow(3, k);                                                                              \
    for (int i = (int)k - 1; i >= 0; --i) {                                                                  \
        n /= 3;                                                                                               \
        for (uint32_t l = 0; l < lanes; l += 16) {                                                            \
            V acc = ZERO;                                                                                     \
            for (uint32_t j = 0; j < n; ++j) {                                                                \
                T * neg = S + (uint64_t)j * lanes + l;                                                        \
                const V zero = LOAD(S + (uint64_t)(n + j) * lanes + l);                                       \
                const V pos = LOAD(S + (uint64_t)(2 * n + j) * lanes + l);                                    \
                const V minus = LOAD(neg);                                                                    \
                acc = ADD(acc, SUB(pos, minus));                                                              \
                STORE(neg, ADD(ADD(minus, zero), pos));                                                       \
            }                                                                                                 \
            STORE(out + (uint64_t)i * lanes + l, acc);                                                        \
        }                                                                                                     \
    }                                                                                                         \
}

static inline __m512i load_i32(const int32_t * p) { return _mm512_load_si512(p); }
static inline void store_i32(int32_t * p, __m512i v) { _mm512_store_si512(p, v); }
DEFINE_FOLDS(int32_t, __m512i, _mm512_setzero_si512(), _mm512_add_epi32, _mm512_sub_epi32, load_i32, store_i32, i32)
DEFINE_FOLDS(float, __m512, _mm512_setzero_ps(), _mm512_add_ps, _mm512_sub_ps, _mm512_load_ps, _mm512_store_ps, f32)

// ---- Blocks ---------------------------------------------------------------------------------------------

typedef struct blocks_ctx {
    const rsr_product * p;
    uint32_t v0, nv, tile, per_task;
    bool i8;
} blocks_ctx;

// Per block: segment sums, fold, and the block's output rows into yt[row][tile]. For int8 the lanes are in
// even/odd vector order and the bias is removed here.
// R: 512-bit registers per transposed row (f32), or 64-vector tiles (int8).
static inline __attribute__((always_inline)) void blocks(const blocks_ctx * c, uint32_t task, int thread, int R) {
    const rsr_product * p = c->p;
    const rsr_layout_header * h = p->h;
    const rsr_act act = c->i8 ? RSR_ACT_I8 : RSR_ACT_F32;
    const uint32_t npat = rsr_npat(h), tile = c->tile;
    uint8_t * slice = rsr_thread_work(p, rsr_work_shared(h, act, p->batch), rsr_work_slice(h, act, p->batch), thread);
    uint8_t * yt = p->work + rsr_work_inputs(h, act, p->batch);
    const uint32_t b0 = task * c->per_task, b1 = rsr_min_u32(b0 + c->per_task, h->n_blocks);
    for (uint32_t b = b0; b < b1; ++b) {
        const uint8_t * perm = rsr_perm_at(h, p->base, b), * seg = rsr_seg_at(h, p->base, b);
        const uint32_t r0 = b * h->k, kb = rsr_block_rows(h, b);
        if (c->i8) {
            int32_t * S = (int32_t *)slice, * out = S + (uint64_t)npat * tile;
            if (rsr_is_wide(h)) segments_i8_uint32_t((const uint32_t *)perm, (const uint32_t *)seg, npat, p->work, R, S);
            else segments_i8_uint16_t((const uint16_t *)perm, (const uint16_t *)seg, npat, p->work, R, S);
            // The bias is 128 times each row's weight sum, which is the fold of the segment lengths; fold
            // them in the first lane of S, which the vector fold below then overwrites.
            int32_t lengths[RSR_MAX_PATTERNS], row_sums[16];
            for (uint32_t q = 0; q < npat; ++q) {
                lengths[q] = (int32_t)(rsr_is_wide(h) ? ((const uint32_t *)seg)[q + 1] - ((const uint32_t *)seg)[q]
                                                      : ((const uint16_t *)seg)[q + 1] - ((const uint16_t *)seg)[q]);
            }
            if (h->weights == RSR_WEIGHTS_TERNARY) {
                rsr_fold3_i32(lengths, h->k, row_sums);
                fold3_i32(S, h->k, tile, out);
            } else {
                rsr_fold2_i32(lengths, h->k, row_sums);
                fold2_i32(S, h->k, tile, out);
            }
            for (uint32_t i = 0; i < kb; ++i) {
                const __m512i bias = _mm512_set1_epi32(128 * row_sums[i]);
                int32_t * dst = (int32_t *)yt + (uint64_t)(r0 + i) * tile;
                for (uint32_t l = 0; l < tile; l += 16) {
                    _mm512_store_si512(dst + l, _mm512_sub_epi32(_mm512_load_si512(out + (uint64_t)i * tile + l), bias));
                }
            }
        } else {
            float * S = (float *)slice, * out = S + (uint64_t)npat * tile;
            if (rsr_is_wide(h)) segments_f32_uint32_t((const uint32_t *)perm, (const uint32_t *)seg, npat, (const float *)p->work, R, S);
            else segments_f32_uint16_t((const uint16_t *)perm, (const uint16_t *)seg, npat, (const float *)p->work, R, S);
            if (h->weights == RSR_WEIGHTS_TERNARY) fold3_f32(S, h->k, tile, out);
            else fold2_f32(S, h->k, tile, out);
            memcpy((float *)yt + (uint64_t)r0 * tile, out, (uint64_t)kb * tile * sizeof(float));
        }
    }
}

static void blocks_task(void * raw, uint32_t task, int thread) {
    const blocks_ctx * c = raw;
    switch (c->i8 ? c->tile / I8_TILE : c->tile / 16) {
        case 1: blocks(c, task, thread, 1); break;
        case 2: blocks(c, task, thread, 2); break;
        case 3: blocks(c, task, thread, 3); break;
        default: blocks(c, task, thread, 4); break;
    }
}

// yt[rows][tile] -> y[v0 + v][rows], 64 rows at a time so reads and writes both stay in few cache lines.
static void untranspose_task(void * raw, uint32_t task, int thread) {
    const blocks_ctx * c = raw;
    const rsr_product * p = c->p;
    const rsr_layout_header * h = p->h;
    const rsr_act act = c->i8 ? RSR_ACT_I8 : RSR_ACT_F32;
    const uint32_t * yt = (const uint32_t *)(p->work + rsr_work_inputs(h, act, p->batch));
    uint32_t * y = (uint32_t *)p->y;
    const uint32_t r0 = task * 64, r1 = rsr_min_u32(r0 + 64, h->rows);
    for (uint32_t v = 0; v < c->nv; ++v) {
        const uint32_t w = v % I8_TILE, lane = c->i8 ? v - w + (w % 2 ? 32 + w / 2 : w / 2) : v;
        uint32_t * dst = y + (uint64_t)(c->v0 + v) * h->rows;
        for (uint32_t r = r0; r < r1; ++r) dst[r] = yt[(uint64_t)r * c->tile + lane];
    }
}

static rsr_status product(const rsr_product * p, bool i8) {
    const rsr_layout_header * h = p->h;
    const rsr_act act = i8 ? RSR_ACT_I8 : RSR_ACT_F32;
    const uint32_t tile_max = rsr_batch_tile(act, p->batch);
    for (uint32_t v0 = 0; v0 < p->batch; v0 += tile_max) {
        const uint32_t nv = rsr_min_u32(tile_max, p->batch - v0);
        const uint32_t tile = i8 ? tile_max : (nv + 15) / 16 * 16;
        transpose_ctx t = { .p = p, .v0 = v0, .nv = nv, .tile = tile, .i8 = i8 };
        rsr_pool_run(p->pool, transpose_task, &t, rsr_div_up(h->cols, 64));
        blocks_ctx c = { .p = p, .v0 = v0, .nv = nv, .tile = tile, .i8 = i8,
                         .per_task = rsr_blocks_per_task(h, p->n_threads) };
        rsr_pool_run(p->pool, blocks_task, &c, rsr_div_up(h->n_blocks, c.per_task));
        rsr_pool_run(p->pool, untranspose_task, &c, rsr_div_up(h->rows, 64));
    }
    return RSR_OK;
}

// Batches of one vector gain nothing from the transposed tile (one lane of 16 or 32 would be used); they
// take the portable per-vector kernel.
rsr_status rsr_product_i8_rsr_generic(const rsr_product * p);
rsr_status rsr_product_f32_rsr_generic(const rsr_product * p);

rsr_status rsr_product_i8_rsr_avx512(const rsr_product * p) {
    return p->batch == 1 ? rsr_product_i8_rsr_generic(p) : product(p, true);
}

rsr_status rsr_product_f32_rsr_avx512(const rsr_product * p) {
    return p->batch == 1 ? rsr_product_f32_rsr_generic(p) : product(p, false);
}

#pragma clang attribute pop

#endif
