// i2-layout.h: the packed-i2 baseline layout: 2 bits per weight holding w + 1, in 16x16 tiles of 64 bytes,
// tiles[row tile][column tile]. In a tile, bits 2j..2j+1 of byte b hold row b / 4, column 4j + b % 4: one
// shift and mask turns a tile into four 64-byte operands of 16 rows x 4 columns, the shape of an int8 dot
// product instruction (VNNI vpdpbusd: 16 lanes of 4 byte products) with four activations broadcast.
#ifndef I2_LAYOUT_H
#define I2_LAYOUT_H

#include "internal.h"

#define I2_TILE 16u
#define I2_TILE_BYTES 64u

// RSR_ERR_LAYOUT where a 2-bit code (w + 1) of `bytes` (a multiple of 8) is not one of the weights'.
rsr_status i2_check_codes(const uint8_t * codes, uint64_t bytes, rsr_weights weights);

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

// Products of I2_TABLES_MIN_BATCH vectors or more on AVX2 look their weights up in tables of input sums
// (arch/x86/i2-tables-avx2.c), which need neither the padded inputs nor their sums. Their work, from its
// start: the inputs as int16 in groups of 8 vectors, [group][column][8], then per thread the tables of
// I2_TABLES_TILES column tiles and the int16 and int32 sums of a task's rows.
#define I2_TABLES_MIN_BATCH 4u
#define I2_TABLES_VECTORS 8u
#define I2_TABLES_ENTRIES 176u  // a byte of four codes of at most 2 is at most 0b10101010 = 170 (validated
                                // layouts hold no code 3; one would read another group's entries)
#define I2_TABLES_TILES 4u      // column tiles whose tables are built together: 45 KB of them
#define I2_TABLES_TASK_TILES 128u

static inline uint32_t i2_tables_groups(uint32_t batch) { return rsr_div_up(batch, I2_TABLES_VECTORS); }
static inline uint64_t i2_tables_inputs_bytes(const rsr_layout_header * h, uint32_t batch) {
    return rsr_align_up((uint64_t)i2_tables_groups(batch) * i2_padded_cols(h) * I2_TABLES_VECTORS * sizeof(int16_t));
}
static inline uint64_t i2_tables_bytes(void) { return (uint64_t)I2_TABLES_TILES * 4 * I2_TABLES_ENTRIES * 16; }
static inline uint64_t i2_tables_thread_bytes(void) {
    return i2_tables_bytes() + (uint64_t)I2_TABLES_TASK_TILES * I2_TILE * I2_TABLES_VECTORS * (sizeof(int16_t) + sizeof(int32_t));
}
static inline uint64_t i2_tables_work(const rsr_layout_header * h, uint32_t batch, int n_threads) {
    return i2_tables_inputs_bytes(h, batch) + (uint64_t)n_threads * i2_tables_thread_bytes();
}

// The AVX2 kernel's products by tables, of one input and layouts that share their columns.
rsr_status i2_tables_run_avx2(const rsr_product * const * p, uint32_t n);

// What a packed-i2 task sees: the products of one input (a layer's q, k and v run as one job, so that the
// pool waits for its slowest task once, not once a product), each vector zero-padded to whole tiles and its
// sum (the SIMD kernels multiply by w + 1 and subtract sum(x) once per output), and how many row tiles a
// task takes: the same in every product, so tasks cost alike.
typedef struct i2_ctx {
    const rsr_product * const * p;
    uint32_t first_task[RSR_MANY_MAX + 1]; // product j has tasks [first_task[j], first_task[j + 1])
    const int8_t * xp;
    const int32_t * sums;
    uint32_t per_task;
} i2_ctx;

// Prepares the padded inputs once and runs `task` over the row tiles of n products of one input, whose
// layouts share their columns (i2-kernels.c).
rsr_status i2_run(const rsr_product * const * p, uint32_t n, rsr_task_fn task);

// The product of a task and its row tiles [first, end).
static inline const rsr_product * i2_task_tiles(const i2_ctx * c, uint32_t task, uint32_t * first, uint32_t * end) {
    uint32_t j = 0;
    while (task >= c->first_task[j + 1]) ++j; // a few products: a scan is enough
    *first = (task - c->first_task[j]) * c->per_task;
    *end = rsr_min_u32(*first + c->per_task, c->p[j]->h->n_blocks);
    return c->p[j];
}

#endif // I2_LAYOUT_H
