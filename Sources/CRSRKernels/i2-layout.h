// i2-layout.h: the packed-i2 baseline layout: 2 bits per weight holding w + 1, in 16x16 tiles of 64 bytes,
// tiles[row tile][column tile]. In a tile, bits 2j..2j+1 of byte b hold row b / 4, column 4j + b % 4: one
// shift and mask turns a tile into four 64-byte operands of 16 rows x 4 columns, the shape of an int8 dot
// product instruction (VNNI vpdpbusd: 16 lanes of 4 byte products) with four activations broadcast.
#ifndef I2_LAYOUT_H
#define I2_LAYOUT_H

#include "internal.h"

#define I2_TILE 16u
#define I2_TILE_BYTES 64u

static inline const uint8_t * i2_tiles(const rsr_layout_header * h, const uint8_t * base, uint32_t row_tile) {
    return base + h->off[0] + (uint64_t)row_tile * h->n_groups * I2_TILE_BYTES;
}

// Position of (r, c) inside a tile: byte and shift.
static inline uint32_t i2_byte(uint32_t r, uint32_t c) { return r * 4 + c % 4; }
static inline uint32_t i2_shift(uint32_t c) { return 2 * (c / 4); }

// Work: each vector zero-padded to whole column tiles, then the vector sums (int32).
static inline uint64_t i2_padded_cols(const rsr_layout_header * h) { return (uint64_t)h->n_groups * I2_TILE; }
static inline uint64_t i2_work_inputs(const rsr_layout_header * h, uint32_t batch) {
    return rsr_align_up(i2_padded_cols(h) * batch);
}

// Copies each vector into work zero-padded to whole tiles and returns the per-vector sums there too: the
// SIMD kernels multiply by w + 1 and subtract sum(x) once per output.
void i2_prepare_inputs(const rsr_product * p, int8_t ** padded, int32_t ** sums);

static inline uint32_t i2_tiles_per_task(const rsr_layout_header * h, int n_threads) {
    const uint32_t target = (uint32_t)n_threads * 8;
    return h->n_blocks <= target ? 1 : rsr_div_up(h->n_blocks, target);
}

#endif // I2_LAYOUT_H
