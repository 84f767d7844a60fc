// rsrt-layout.h: the transposed RSR layout, shared by its generic and SIMD kernels.
//
// Columns are split into groups of G = 5 (ternary) or 7 (binary); the last group is padded with zero
// weights. A row's pattern in a group is c = sum_i d_i * base^i with d = w + 1 (ternary, base 3) or d = w
// (binary, base 2), stored in one byte:
//   ternary: negating a pattern maps c to 242 - c, so the byte holds min(c, 242 - c) (0..121) in its low
//            seven bits and, in bit 7, whether the pattern is the negation of that one;
//   binary:  c itself (0..127).
// That is 1.6 (ternary) or 1.14 (binary) bits per weight. Rows are stored in tiles of 64 (padded with zero
// rows) and tiles in quads: codes[quad][group][tile in quad][64], so one 64-byte load holds one group's
// codes for a tile and a quad is read as one sequential stream (the last quad may hold fewer tiles).
//
// A product first sums each group's patterns against the input once, T_g[c] = sum_i (d_i - d0) x_i, and
// then every row adds up +-T_g[code(row, g)] over the groups: the distinct patterns of a group are reduced
// once and shared by all rows that carry them (RSR with the roles of rows and columns swapped). Tables have
// 128 entries, so one 128-byte permute per byte plane looks up 64 rows.
#ifndef RSRT_LAYOUT_H
#define RSRT_LAYOUT_H

#include "internal.h"

#define RSRT_TILE 64u
#define RSRT_TABLE 128u      // table entries per group (by stored byte)
#define RSRT_FULL_TABLE 256u // entries per group when indexed by pattern code (portable kernels)
#define RSRT_SIGN 0x80u

static inline uint32_t rsrt_group_cols(rsr_weights w) { return w == RSR_WEIGHTS_TERNARY ? 5 : 7; }
static inline uint32_t rsrt_base(const rsr_layout_header * h) { return h->weights == RSR_WEIGHTS_TERNARY ? 3 : 2; }
static inline int rsrt_zero_digit(const rsr_layout_header * h) { return h->weights == RSR_WEIGHTS_TERNARY ? 1 : 0; }
static inline uint32_t rsrt_npat(const rsr_layout_header * h) { return rsr_ipow(rsrt_base(h), h->k); }

// Pattern code <-> stored byte (identity for binary).
static inline uint8_t rsrt_encode(const rsr_layout_header * h, uint32_t c) {
    const uint32_t mirror = rsrt_npat(h) - 1 - c;
    return h->weights == RSR_WEIGHTS_TERNARY && c > mirror ? (uint8_t)(RSRT_SIGN | mirror) : (uint8_t)c;
}
static inline uint32_t rsrt_decode(const rsr_layout_header * h, uint8_t byte) {
    return byte & RSRT_SIGN ? rsrt_npat(h) - 1 - (byte & ~RSRT_SIGN) : byte;
}
// The bits of a stored byte that index the table, and the largest index that decodes (ternary: 121, the
// codes below the all-zero pattern; binary: 127).
static inline uint8_t rsrt_index_bits(const rsr_layout_header * h) {
    return h->weights == RSR_WEIGHTS_TERNARY ? (uint8_t)~RSRT_SIGN : 0xff;
}
static inline uint8_t rsrt_largest_index(const rsr_layout_header * h) {
    return (uint8_t)(h->weights == RSR_WEIGHTS_TERNARY ? (rsrt_npat(h) - 1) / 2 : rsrt_npat(h) - 1);
}
static inline bool rsrt_byte_valid(const rsr_layout_header * h, uint8_t byte) {
    return (byte & rsrt_index_bits(h)) <= rsrt_largest_index(h);
}

#define RSRT_QUAD 4u

static inline uint32_t rsrt_quads(const rsr_layout_header * h) { return rsr_div_up(h->n_blocks, RSRT_QUAD); }
static inline uint32_t rsrt_quad_tiles(const rsr_layout_header * h, uint32_t quad) {
    return rsr_min_u32(RSRT_QUAD, h->n_blocks - quad * RSRT_QUAD);
}
// Codes of a quad's groups: group g's codes for tile t of the quad are at g * quad_tiles * 64 + t * 64.
static inline const uint8_t * rsrt_quad_codes(const rsr_layout_header * h, const uint8_t * base, uint32_t quad) {
    return base + h->off[0] + (uint64_t)quad * h->n_groups * RSRT_QUAD * RSRT_TILE;
}
// Where the code of (row, group) lives.
static inline uint64_t rsrt_code_offset(const rsr_layout_header * h, uint32_t row, uint32_t g) {
    const uint32_t tile = row / RSRT_TILE, quad = tile / RSRT_QUAD;
    return h->off[0] + (uint64_t)quad * h->n_groups * RSRT_QUAD * RSRT_TILE +
           ((uint64_t)g * rsrt_quad_tiles(h, quad) + tile % RSRT_QUAD) * RSRT_TILE + row % RSRT_TILE;
}

// Work, portable kernels: a table set per thread, [group][256] entries of int32 or f32 (indexed by
// pattern code; the builder fills all base^G codes).
static inline uint64_t rsrt_portable_table_bytes(const rsr_layout_header * h) {
    return rsr_align_up((uint64_t)h->n_groups * RSRT_FULL_TABLE * 4);
}

// SIMD kernels: a table set per thread (n_groups * 256 bytes each), then, when threads take slices of the
// groups, their partial int32 sums [thread][rows].
//
// With several threads, thread t's tables start at t times a whole number of MiB, the same for every
// product up to 4096 groups, so that a core only rewrites table lines it wrote itself. Packed at
// n_groups * 256, a product of another width put one core's tables on lines the other core wrote last,
// and every line of its build waited on the other core's cache: decoding 2B4T, the worker's builds took
// 37% longer than the caller's, and the caller waited for it 13% of each product's time.
#define RSRT_TABLE_ALIGN (1ull << 20)
static inline uint64_t rsrt_table_stride(const rsr_layout_header * h, int n_threads) {
    const uint64_t bytes = (uint64_t)h->n_groups * 256;
    return n_threads > 1 ? (bytes + RSRT_TABLE_ALIGN - 1) & ~(RSRT_TABLE_ALIGN - 1) : rsr_align_up(bytes);
}
static inline uint64_t rsrt_tables_bytes(const rsr_layout_header * h, int n_threads) {
    return (uint64_t)n_threads * rsrt_table_stride(h, n_threads);
}
static inline uint64_t rsrt_partial_bytes(const rsr_layout_header * h, int n_threads) {
    return n_threads > 1 ? rsr_align_up((uint64_t)n_threads * h->rows * 4) : 0;
}


#endif // RSRT_LAYOUT_H
