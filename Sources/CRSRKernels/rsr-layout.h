// rsr-layout.h: accessors and folds for the classical RSR layout, shared by its generic and SIMD kernels.
//
// Rows are split into blocks of k (the last block may be short: its missing rows read as zero weights).
// A column's pattern in a block is sum_i d_i * base^i over the block's rows i, with d = w + 1 for ternary
// (base 3) and d = w for binary (base 2). Per block the layout stores
//   perm[cols]     the columns sorted by pattern (ascending within a pattern), u16 or u32 (RSR_FLAG_WIDE)
//   seg[npat + 1]  where each pattern's segment starts in perm, same width
// so the segment sum of pattern p is sum_{j in [seg[p], seg[p+1])} x[perm[j]].
#ifndef RSR_LAYOUT_H
#define RSR_LAYOUT_H

#include "internal.h"

#define RSR_MAX_PATTERNS 6561u // 3^8: the most patterns a block can have

static inline bool rsr_is_wide(const rsr_layout_header * h) { return h->flags & RSR_FLAG_WIDE; }
static inline uint32_t rsr_index_bytes(const rsr_layout_header * h) { return rsr_is_wide(h) ? 4 : 2; }
static inline uint32_t rsr_base(const rsr_layout_header * h) { return h->weights == RSR_WEIGHTS_TERNARY ? 3 : 2; }
static inline uint32_t rsr_npat(const rsr_layout_header * h) { return h->n_groups; }

static inline const uint8_t * rsr_perm_at(const rsr_layout_header * h, const uint8_t * base, uint32_t block) {
    return base + h->off[0] + (uint64_t)block * h->cols * rsr_index_bytes(h);
}
static inline const uint8_t * rsr_seg_at(const rsr_layout_header * h, const uint8_t * base, uint32_t block) {
    return base + h->off[1] + (uint64_t)block * (rsr_npat(h) + 1) * rsr_index_bytes(h);
}
static inline uint32_t rsr_block_rows(const rsr_layout_header * h, uint32_t block) {
    return rsr_min_u32(h->k, h->rows - block * h->k);
}

// Segment offsets as u32, whatever the stored width.
static inline void rsr_load_seg(const rsr_layout_header * h, const uint8_t * seg, uint32_t * out) {
    const uint32_t n = rsr_npat(h) + 1;
    if (rsr_is_wide(h)) memcpy(out, seg, n * sizeof(uint32_t));
    else for (uint32_t p = 0; p < n; ++p) out[p] = ((const uint16_t *)seg)[p];
}

// ---- Folds: segment sums S[npat] into the block's k outputs ----------------------------------------------
// Binary (RSR++): the top bit splits S into halves; the upper half sums to the top output, and adding it
// onto the lower half leaves the same problem with k-1 bits. Ternary: the top digit splits S into thirds
// (w = -1, 0, +1); output = sum(+1 third) - sum(-1 third), and the thirds add up into the next level.
// Both take O(base^k) additions instead of O(k * base^k). S is overwritten.

#define RSR_DEFINE_FOLDS(T, suffix)                                                           \
static inline void rsr_fold2_##suffix(T * S, uint32_t k, T * out) {                             \
    uint32_t n = 1u << k;                                                                       \
    for (int i = (int)k - 1; i >= 0; --i) {                                                     \
        n >>= 1;                                                                                \
        T acc = 0;                                                                              \
        for (uint32_t j = 0; j < n; ++j) { acc += S[n + j]; S[j] += S[n + j]; }                 \
        out[i] = acc;                                                                           \
    }                                                                                           \
}                                                                                               \
static inline void rsr_fold3_##suffix(T * S, uint32_t k, T * out) {                             \
    uint32_t n = rsr_ipow(3, k);                                                                \
    for (int i = (int)k - 1; i >= 0; --i) {                                                     \
        n /= 3;                                                                                 \
        T * neg = S, * zero = S + n, * pos = S + 2 * n;                                         \
        T acc = 0;                                                                              \
        for (uint32_t j = 0; j < n; ++j) { acc += pos[j] - neg[j]; neg[j] += zero[j] + pos[j]; } \
        out[i] = acc;                                                                           \
    }                                                                                           \
}

RSR_DEFINE_FOLDS(int32_t, i32)
RSR_DEFINE_FOLDS(float, f32)

#undef RSR_DEFINE_FOLDS

// Work: shared, the batch tile transposed to [cols][tile] (biased uint8 or f32) and f32 outputs; per
// thread, segment sums [npat][tile] and block outputs [RSR_STAGED_ROWS][tile] in 32-bit lanes (int8 rows
// collect there until they go to the output; k is at most 12 for binary, 8 for ternary).
#define RSR_STAGED_ROWS 16u
static inline uint32_t rsr_batch_tile(rsr_act act, uint32_t batch) {
    if (act == RSR_ACT_I8) return batch > 64 ? 128 : 64; // one byte per vector: one or two 64-byte rows
    const uint32_t tile = (batch + 15) / 16 * 16;
    return tile < 64 ? tile : 64;
}
static inline uint64_t rsr_work_inputs(const rsr_layout_header * h, rsr_act act, uint32_t batch) {
    return rsr_align_up((uint64_t)h->cols * rsr_batch_tile(act, batch) * (act == RSR_ACT_I8 ? 1 : 4));
}
// Shared: the transposed inputs, then for f32 the outputs [rows][tile] before they are transposed back (int8
// blocks write their rows to the output themselves).
static inline uint64_t rsr_work_shared(const rsr_layout_header * h, rsr_act act, uint32_t batch) {
    const uint64_t outputs = act == RSR_ACT_F32 ? rsr_align_up((uint64_t)h->rows * rsr_batch_tile(act, batch) * 4) : 0;
    return rsr_work_inputs(h, act, batch) + outputs;
}
// Narrow tiles, where a level has them (rsr-batch.h): int8 batches of up to 32 vectors as int16 rows of 8,
// 16 or 32 lanes (16 to 64 bytes, within a byte tile's row). Per thread, where they stay small enough to
// share L2 with the tile, room for the running sums of a block's rows in perm order, [cols + 1][tile] int16.
#define RSR_I16_TILE_MAX 32u
#define RSR_I16_PREFIX_MAX (96u << 10)
static inline uint32_t rsr_i16_tile(uint32_t batch) { return batch <= 8 ? 8 : batch <= 16 ? 16 : 32; }
static inline uint64_t rsr_i16_prefix_bytes(const rsr_layout_header * h, rsr_act act, uint32_t batch) {
    if (act != RSR_ACT_I8 || batch > RSR_I16_TILE_MAX) return 0;
    const uint64_t bytes = ((uint64_t)h->cols + 1) * rsr_i16_tile(batch) * 2;
    return bytes <= RSR_I16_PREFIX_MAX ? rsr_align_up(bytes) : 0;
}
static inline uint64_t rsr_work_slice(const rsr_layout_header * h, rsr_act act, uint32_t batch) {
    return rsr_align_up((uint64_t)(rsr_npat(h) + RSR_STAGED_ROWS) * rsr_batch_tile(act, batch) * 4) +
           rsr_i16_prefix_bytes(h, act, batch);
}

// Blocks per task: enough tasks for load balance, few enough that task overhead stays small.
static inline uint32_t rsr_blocks_per_task(const rsr_layout_header * h, int n_threads) {
    const uint32_t target = (uint32_t)n_threads * 16;
    return h->n_blocks <= target ? 1 : rsr_div_up(h->n_blocks, target);
}

#endif // RSR_LAYOUT_H
