// sparse-i2-layout.c: packing for the sparse-i2 layout, its checks and its inverse.
#include "sparse-i2-layout.h"
#include "i2-layout.h"

static rsr_status sparse_i2_k_range(rsr_weights weights, uint32_t * k_min, uint32_t * k_max) {
    *k_min = *k_max = 0;
    return RSR_OK;
}

static rsr_status sparse_i2_size(rsr_weights weights, uint32_t rows, uint32_t cols, uint32_t k, rsr_layout_header * h) {
    h->k = SPARSE_I2_ROWS;
    h->n_blocks = rsr_div_up(rows, SPARSE_I2_ROWS);
    h->off[0] = rsr_align_up(sizeof *h);
    h->bytes = rsr_align_up(h->off[0] + (uint64_t)h->n_blocks * cols * SPARSE_I2_PIECE);
    return RSR_OK;
}

static inline uint32_t piece_byte(uint32_t r) { return r % SPARSE_I2_PIECE; }
static inline uint32_t piece_shift(uint32_t r) { return 2 * (r / SPARSE_I2_PIECE); }

typedef struct build_ctx {
    const int8_t * w;
    const rsr_layout_header * h;
    uint8_t * base;
} build_ctx;

// Rows past the matrix hold w = 0 (code 1), like packed-i2's.
static void build_block(void * raw, uint32_t block, int thread) {
    const build_ctx * c = raw;
    const rsr_layout_header * h = c->h;
    uint8_t * pieces = (uint8_t *)sparse_i2_block(h, c->base, block);
    for (uint32_t r = 0; r < SPARSE_I2_ROWS; ++r) {
        const uint32_t row = block * SPARSE_I2_ROWS + r;
        const int8_t * w = row < h->rows ? c->w + (uint64_t)row * h->cols : NULL;
        for (uint32_t col = 0; col < h->cols; ++col) {
            pieces[(uint64_t)col * SPARSE_I2_PIECE + piece_byte(r)] |= (uint8_t)(((w ? w[col] : 0) + 1) << piece_shift(r));
        }
    }
}

static rsr_status sparse_i2_build(const int8_t * w, rsr_layout_header * h, uint8_t * base, rsr_pool * pool) {
    build_ctx c = { .w = w, .h = h, .base = base };
    rsr_pool_run(pool, build_block, &c, h->n_blocks);
    return RSR_OK;
}

static rsr_status sparse_i2_validate(const rsr_layout_header * h, const uint8_t * base) {
    return i2_check_codes(base + h->off[0], (uint64_t)h->n_blocks * h->cols * SPARSE_I2_PIECE, (rsr_weights)h->weights);
}

static void sparse_i2_unpack(const rsr_layout_header * h, const uint8_t * base, int8_t * w) {
    for (uint32_t row = 0; row < h->rows; ++row) {
        const uint8_t * pieces = sparse_i2_block(h, base, row / SPARSE_I2_ROWS);
        const uint32_t r = row % SPARSE_I2_ROWS;
        for (uint32_t col = 0; col < h->cols; ++col) {
            const uint8_t byte = pieces[(uint64_t)col * SPARSE_I2_PIECE + piece_byte(r)];
            w[(uint64_t)row * h->cols + col] = (int8_t)(((byte >> piece_shift(r)) & 3) - 1);
        }
    }
}

static uint64_t sparse_i2_work_size(const rsr_layout_header * h, rsr_act act, uint32_t batch, int n_threads) {
    return act == RSR_ACT_I8 ? sparse_i2_work(h, batch) : 0;
}

rsr_status rsr_product_i8_sparse_i2_generic(const rsr_product * p);
rsr_status rsr_product_i8_sparse_i2_avx2(const rsr_product * p);
rsr_status rsr_product_i8_sparse_i2_avx512(const rsr_product * p);

const rsr_layout_traits rsr_traits_sparse_i2 = {
    .k_range = sparse_i2_k_range,
    .size = sparse_i2_size,
    .build = sparse_i2_build,
    .validate = sparse_i2_validate,
    .unpack = sparse_i2_unpack,
    .work_size = sparse_i2_work_size,
    .product = {
        [RSR_ACT_I8] = {
            [RSR_ISA_SCALAR] = rsr_product_i8_sparse_i2_generic,
            [RSR_ISA_AVX2] = RSR_X86(rsr_product_i8_sparse_i2_avx2),
            [RSR_ISA_AVX512] = RSR_X86(rsr_product_i8_sparse_i2_avx512),
        },
    },
};
