// rsr-batch.h: the batched classical RSR driver, shared by the SIMD levels. Each level supplies the two
// pieces that need its registers (segment sums over transposed rows, and the fold on rows of lanes); the
// driver transposes the batch tile, runs the blocks on the pool and writes the outputs back.
//
// int8 inputs: gathering rows from L2 is the bottleneck, so a transposed row holds the tile's activations
// as bytes biased to unsigned (x + 128), one cache line per 64 vectors. A segment adds them as 16-bit words
// w = lo + 256 hi (lo: even vector, hi: odd vector), wrapping, and separately adds w >> 8 = hi. Over at
// most RSR_U8_RUN rows both byte sums fit 16 bits, so sum(lo) = sum(w) - 256 sum(hi) exactly, with no byte
// unpacking in the inner loop. Segment sums are int32 lanes, per 64-vector tile: lanes 0..31 the even
// vectors, 32..63 the odd ones. The bias adds 128 per column, i.e. 128 times the row's weight sum to each
// output; the driver removes it as the rows go out to y.
#ifndef RSR_BATCH_H
#define RSR_BATCH_H

#include "rsr-layout.h"

#define RSR_U8_RUN 256u  // sums of up to 256 bytes fit in 16 bits
#define RSR_I8_TILE 64u  // vectors per 64-byte transposed row

// Where an int8 tile's sums keep each vector: a 64-vector group's even vectors in lanes 0..31, its odd ones
// in 32..63 (above). The vector of lane l:
static inline uint32_t rsr_i8_vector_of_lane(uint32_t l) {
    const uint32_t w = l % RSR_I8_TILE;
    return l - w + (w < RSR_I8_TILE / 2 ? 2 * w : 2 * (w - RSR_I8_TILE / 2) + 1);
}

typedef struct rsr_batch_ops {
    // S[q][tile] for every pattern q of a block; xt rows are `tile` bytes (int8) or floats (f32). int8: a
    // level gives segments_i8 or segments_first_i8 (below).
    void (*segments_i8)(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                        const uint8_t * xt, uint32_t tile, int32_t * S);
    void (*segments_f32)(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                         const float * xt, uint32_t tile, float * S);
    // out[digits][lanes] from S[base^digits][lanes] (S is overwritten), base 3 or 2 by h->weights.
    void (*fold_i32)(const rsr_layout_header * h, uint32_t digits, int32_t * S, uint32_t lanes, int32_t * out);
    void (*fold_f32)(const rsr_layout_header * h, uint32_t digits, float * S, uint32_t lanes, float * out);
    // Optional, int8: segments_i8 with the fold's lowest digit applied on the way: S[m] for m < npat / base
    // (summed over that digit) and first[tile], the block's first output row; fold_i32 does the rest.
    void (*segments_first_i8)(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                              const uint8_t * xt, uint32_t tile, int32_t * S, int32_t * first);
    // Optional (NULL: the driver's own loops), int8 only. Rows [c0, c0 + n) of the transposed tile (xt is
    // row c0), x + 128 as bytes, from the tile's first nv vectors (x is the first, cols apart; the rest of
    // the tile reads as x = 0); and back, staged rows out[n_rows][tile] less bias[i] into y[v][i] (rows
    // y_stride apart) for v < nv and i < n_rows (at most RSR_STAGED_ROWS).
    void (*transpose_i8)(const int8_t * x, uint32_t cols, uint32_t c0, uint32_t n, uint32_t nv, uint32_t tile, uint8_t * xt);
    void (*untranspose_i8)(const int32_t * out, uint32_t tile, uint32_t n_rows, uint32_t nv, const int32_t * bias, int32_t * y,
                           uint32_t y_stride);
    // Optional, int8 batches of up to RSR_I16_TILE_MAX vectors: S[q][tile] over a narrow tile of int16 rows
    // (rsr-layout.h), with prefix[cols + 1][tile] int16 as room for running sums where the work has it
    // (else NULL). Without it such a batch takes a whole byte tile and costs what 64 vectors do.
    void (*segments_i16)(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                         const int16_t * xt, uint32_t tile, int16_t * prefix, int32_t * S);
    // Optional, int8: the most bytes of transposed rows for which a batch over 64 vectors takes 128-vector
    // tiles (0: no limit); past it, 64-vector tiles, whose rows are half as large (see rsr-avx2.c).
    uint64_t i8_wide_tile_bytes;
} rsr_batch_ops;

// The product of a batch with a level's ops (a batch of one runs the portable per-vector kernel).
rsr_status rsr_batch_product(const rsr_product * p, rsr_act act, const rsr_batch_ops * ops);
// Products of one input with n layouts of the same columns, k and weights, whose work areas are one
// (p[0]'s): the input is transposed once and all their blocks run as one job (int8; f32 runs one by one).
rsr_status rsr_batch_products(const rsr_product * const * p, uint32_t n, rsr_act act, const rsr_batch_ops * ops);

// The folds of rsr-layout.h on rows of `lanes` 32-bit values, for a SIMD level whose vector type V holds W
// of them: defines fold2_<suffix>, fold3_<suffix> and fold_<suffix> (binary or ternary by h->weights).
#define RSR_DEFINE_ROW_FOLDS(T, V, W, ZERO, ADD, SUB, LOAD, STORE, suffix)                                 \
static void fold2_##suffix(T * S, uint32_t k, uint32_t lanes, T * out) {                                      \
    uint32_t n = 1u << k;                                                                                     \
    for (int i = (int)k - 1; i >= 0; --i) {                                                                  \
        n >>= 1;                                                                                              \
        for (uint32_t l = 0; l < lanes; l += W) {                                                             \
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
        for (uint32_t l = 0; l < lanes; l += W) {                                                             \
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
}                                                                                                             \
static void fold_##suffix(const rsr_layout_header * h, uint32_t digits, T * S, uint32_t lanes, T * out) {     \
    if (h->weights == RSR_WEIGHTS_TERNARY) fold3_##suffix(S, digits, lanes, out);                             \
    else fold2_##suffix(S, digits, lanes, out);                                                               \
}

#endif // RSR_BATCH_H
