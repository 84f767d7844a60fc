// sparse-i2-layout.h: the sparse-i2 layout: packed-i2's 2-bit codes (w + 1) by columns, so that a product
// reads only the columns whose input is not zero. Rows go in blocks of 256; a block holds each column's 256
// codes in one 64-byte line, columns in order: bits 2c..2c+1 of byte b hold row 64 c + b. After BitNet's
// relu² GLU most of the down projection's int8 inputs are zero (86% in the bundled model, 67% in a preset
// with random weights), and the other layouts multiply by every one of them. A column a line: blocks of 128
// rows put two columns in a line, which a product skips only where both inputs are zero; on Zen 1 they
// took 1.35-1.4x as long at 86% zeros, though 1.2x less at 67%.
#ifndef SPARSE_I2_LAYOUT_H
#define SPARSE_I2_LAYOUT_H

#include "internal.h"

#define SPARSE_I2_ROWS 256u
#define SPARSE_I2_PIECE 64u // bytes of one column in one row block

static inline const uint8_t * sparse_i2_block(const rsr_layout_header * h, const uint8_t * base, uint32_t block) {
    return base + h->off[0] + (uint64_t)block * h->cols * SPARSE_I2_PIECE;
}

// A product's work: for each vector of a group, the byte offsets of its nonzero columns' pieces (in a block)
// and their inputs, a count that is a multiple of SPARSE_I2_STEP (the last one repeated with input 0 to make
// it up), so that kernels take them in pairs (AVX2) or fours (AVX-512). A task takes one row block for every
// vector of the group, so the block's pieces are read from memory once and found in cache by the group's
// other vectors.
#define SPARSE_I2_GROUP 16u
#define SPARSE_I2_STEP 4u
typedef struct sparse_i2_ctx sparse_i2_ctx;

// Adds vector v's products in the block whose pieces start at `pieces` to its rows' sums (SPARSE_I2_ROWS,
// zero on entry): a kernel's one job; the runner's task takes the group's vectors in turn and stores them.
typedef void (*sparse_i2_rows_fn)(const sparse_i2_ctx * c, uint32_t v, const uint8_t * pieces, int32_t * sums);

struct sparse_i2_ctx {
    const rsr_product * p;
    sparse_i2_rows_fn rows;
    uint32_t v0, n;                       // the group's vectors: v0 .. v0 + n - 1
    uint32_t count[SPARSE_I2_GROUP];      // a multiple of SPARSE_I2_STEP
    int32_t sum[SPARSE_I2_GROUP];         // each vector's sum: codes are w + 1
};

// Vector i of a group's list lies at work + i * sparse_i2_list_bytes: the offsets (u32), then from
// sparse_i2_inputs_at the inputs (i8), room for cols + SPARSE_I2_STEP - 1 of each.
static inline uint64_t sparse_i2_inputs_at(const rsr_layout_header * h) {
    return rsr_align_up(((uint64_t)h->cols + SPARSE_I2_STEP - 1) * sizeof(uint32_t));
}
static inline uint64_t sparse_i2_list_bytes(const rsr_layout_header * h) {
    return sparse_i2_inputs_at(h) + rsr_align_up((uint64_t)h->cols + SPARSE_I2_STEP - 1);
}
static inline uint64_t sparse_i2_work(const rsr_layout_header * h, uint32_t batch) {
    return sparse_i2_list_bytes(h) * rsr_min_u32(rsr_max_u32(batch, 1), SPARSE_I2_GROUP);
}
static inline uint32_t * sparse_i2_offsets(const rsr_product * p, uint32_t i) {
    return (uint32_t *)(p->work + i * sparse_i2_list_bytes(p->h));
}
static inline int8_t * sparse_i2_inputs(const rsr_product * p, uint32_t i) {
    return (int8_t *)(p->work + i * sparse_i2_list_bytes(p->h) + sparse_i2_inputs_at(p->h));
}

// Writes the piece offsets and inputs of the nonzero ones of x[0..cols) and returns their count; offsets and
// inputs have room for cols entries.
typedef uint32_t (*sparse_i2_list_fn)(const int8_t * x, uint32_t cols, uint32_t * offsets, int8_t * inputs);

// The nonzero ones of x[first..cols), one entry written for each input, to offsets and inputs from their
// start: the portable list, and the SIMD lists' tails.
static inline uint32_t sparse_i2_list_from(const int8_t * x, uint32_t first, uint32_t cols, uint32_t * offsets, int8_t * inputs) {
    uint32_t n = 0;
    for (uint32_t col = first; col < cols; ++col) {
        offsets[n] = col * SPARSE_I2_PIECE; // cols <= RSR_MAX_DIM: below 2^28
        inputs[n] = x[col];
        n += x[col] != 0;
    }
    return n;
}

// Lists each vector's nonzero columns with `list`, then runs the row blocks for a group of up to
// SPARSE_I2_GROUP vectors at a time, each block's vectors through `rows`.
rsr_status sparse_i2_run(const rsr_product * p, sparse_i2_list_fn list, sparse_i2_rows_fn rows);

#endif // SPARSE_I2_LAYOUT_H
