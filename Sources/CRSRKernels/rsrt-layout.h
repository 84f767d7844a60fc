// rsrt-layout.h: the transposed RSR layout, shared by its generic and SIMD kernels.
//
// Columns are split into groups of G = 5 (ternary) or 8 (binary); the last group is padded with zero
// weights. A row's pattern in a group is code = sum_i d_i * base^i with d = w + 1 (ternary, base 3, codes
// 0..242) or d = w (binary, base 2, codes 0..255): one byte per G weights. Rows are stored in tiles of 64
// (padded with zero rows): codes[tile][group][64], so one 64-byte load holds one group's codes for a tile.
//
// A product first sums each group's patterns against the input once, T_g[code] = sum_i (d_i - d0) x_i, and
// then every row adds up T_g[code(row, g)] over the groups: the distinct patterns of a group are reduced
// once and shared by all rows that carry them (RSR with the roles of rows and columns swapped).
#ifndef RSRT_LAYOUT_H
#define RSRT_LAYOUT_H

#include "internal.h"

#define RSRT_TILE 64u
#define RSRT_TABLE 256u // table entries per group (243 used for ternary)

static inline uint32_t rsrt_group_cols(rsr_weights w) { return w == RSR_WEIGHTS_TERNARY ? 5 : 8; }
static inline uint32_t rsrt_base(const rsr_layout_header * h) { return h->weights == RSR_WEIGHTS_TERNARY ? 3 : 2; }
static inline int rsrt_zero_digit(const rsr_layout_header * h) { return h->weights == RSR_WEIGHTS_TERNARY ? 1 : 0; }
static inline uint32_t rsrt_npat(const rsr_layout_header * h) { return rsr_ipow(rsrt_base(h), h->k); }

static inline const uint8_t * rsrt_codes(const rsr_layout_header * h, const uint8_t * base, uint32_t tile) {
    return base + h->off[0] + (uint64_t)tile * h->n_groups * RSRT_TILE;
}

// Vectors whose tables are built and looked up together.
static inline uint32_t rsrt_vectors_per_pass(uint32_t batch) { return batch < 4 ? batch : 4; }

// Work: tables for one pass ([vector][group][256] entries of int16 or f32), then the padded inputs
// ([vector][group][G] of int16 or f32).
static inline uint64_t rsrt_table_bytes(const rsr_layout_header * h, rsr_act act) {
    return (uint64_t)h->n_groups * RSRT_TABLE * (act == RSR_ACT_I8 ? 2 : 4);
}
static inline uint64_t rsrt_input_bytes(const rsr_layout_header * h, rsr_act act) {
    return rsr_align_up((uint64_t)h->n_groups * 8 * (act == RSR_ACT_I8 ? 2 : 4));
}

static inline uint32_t rsrt_tiles_per_task(const rsr_layout_header * h, int n_threads) {
    const uint32_t target = (uint32_t)n_threads * 8;
    return h->n_blocks <= target ? 1 : rsr_div_up(h->n_blocks, target);
}

#endif // RSRT_LAYOUT_H
