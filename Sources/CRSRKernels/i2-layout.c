// i2-layout.c: packing for the packed-i2 baseline, its checks and its inverse.
#include "i2-layout.h"

static rsr_status i2_k_range(rsr_weights weights, uint32_t * k_min, uint32_t * k_max) {
    *k_min = *k_max = 0;
    return RSR_OK;
}

static rsr_status i2_size(rsr_weights weights, uint32_t rows, uint32_t cols, uint32_t k, rsr_layout_header * h) {
    h->k = I2_TILE;
    h->n_blocks = rsr_div_up(rows, I2_TILE);
    h->n_groups = rsr_div_up(cols, I2_TILE);
    h->off[0] = rsr_align_up(sizeof *h);
    h->bytes = rsr_align_up(h->off[0] + (uint64_t)h->n_blocks * h->n_groups * I2_TILE_BYTES);
    return RSR_OK;
}

typedef struct build_ctx {
    const int8_t * w;
    const rsr_layout_header * h;
    uint8_t * base;
} build_ctx;

static void build_row_tile(void * raw, uint32_t rt, int thread) {
    const build_ctx * c = raw;
    const rsr_layout_header * h = c->h;
    uint8_t * tiles = c->base + h->off[0] + (uint64_t)rt * h->n_groups * I2_TILE_BYTES;
    for (uint32_t ct = 0; ct < h->n_groups; ++ct) {
        uint8_t * tile = tiles + (uint64_t)ct * I2_TILE_BYTES;
        memset(tile, 0, I2_TILE_BYTES);
        for (uint32_t r = 0; r < I2_TILE; ++r) {
            for (uint32_t col = 0; col < I2_TILE; ++col) {
                const uint32_t row = rt * I2_TILE + r, cc = ct * I2_TILE + col;
                const int w = row < h->rows && cc < h->cols ? c->w[(uint64_t)row * h->cols + cc] : 0;
                tile[i2_byte(r, col)] |= (uint8_t)((w + 1) << i2_shift(col));
            }
        }
    }
}

static rsr_status i2_build(const int8_t * w, rsr_layout_header * h, uint8_t * base, rsr_pool * pool) {
    build_ctx c = { .w = w, .h = h, .base = base };
    rsr_pool_run(pool, build_row_tile, &c, h->n_blocks);
    return RSR_OK;
}

rsr_status i2_check_codes(const uint8_t * codes, uint64_t bytes, rsr_weights weights) {
    // A crumb is bad with both bits set (3), and for binary weights also with neither (0). Eight bytes a
    // step with one verdict at the end: a loop that tests every crumb read 1.3 GB/s, this one 13.
    const bool binary = weights != RSR_WEIGHTS_TERNARY;
    uint64_t bad = 0;
    for (uint64_t i = 0; i < bytes; i += 8) {
        uint64_t w;
        memcpy(&w, codes + i, sizeof w);
        bad |= binary ? ~(w ^ w >> 1) : w & w >> 1;
    }
    return bad & 0x5555555555555555ull ? RSR_ERR_LAYOUT : RSR_OK;
}

static rsr_status i2_validate(const rsr_layout_header * h, const uint8_t * base) {
    return i2_check_codes(base + h->off[0], (uint64_t)h->n_blocks * h->n_groups * I2_TILE_BYTES, (rsr_weights)h->weights);
}

static void i2_unpack(const rsr_layout_header * h, const uint8_t * base, int8_t * w) {
    for (uint32_t row = 0; row < h->rows; ++row) {
        const uint8_t * tiles = i2_tiles(h, base, row / I2_TILE);
        for (uint32_t col = 0; col < h->cols; ++col) {
            const uint8_t byte = tiles[(uint64_t)(col / I2_TILE) * I2_TILE_BYTES + i2_byte(row % I2_TILE, col % I2_TILE)];
            w[(uint64_t)row * h->cols + col] = (int8_t)(((byte >> i2_shift(col % I2_TILE)) & 3) - 1);
        }
    }
}

static uint64_t i2_work_size(const rsr_layout_header * h, rsr_act act, uint32_t batch, int n_threads) {
    if (act != RSR_ACT_I8) return 0;
    const uint64_t multiplies = i2_work_inputs(h, batch) + rsr_align_up((uint64_t)batch * 4);
    if (batch < I2_TABLES_MIN_BATCH) return multiplies;
    const uint64_t tables = i2_tables_work(h, batch, n_threads); // the AVX2 kernel's; the others multiply
    return multiplies > tables ? multiplies : tables;
}

rsr_status rsr_product_i8_i2_generic(const rsr_product * p);
rsr_status rsr_product_i8_i2_avx2(const rsr_product * p);
rsr_status rsr_product_i8_i2_avx512(const rsr_product * p);
rsr_status rsr_products_i8_i2_generic(const rsr_product * const * p, uint32_t n);
rsr_status rsr_products_i8_i2_avx2(const rsr_product * const * p, uint32_t n);
rsr_status rsr_products_i8_i2_avx512(const rsr_product * const * p, uint32_t n);

rsr_products_fn i2_products_i8(rsr_isa isa) {
    if (isa >= RSR_ISA_AVX512) return RSR_X86(rsr_products_i8_i2_avx512);
    return isa >= RSR_ISA_AVX2 ? RSR_X86(rsr_products_i8_i2_avx2) : rsr_products_i8_i2_generic;
}

const rsr_layout_traits rsr_traits_i2 = {
    .k_range = i2_k_range,
    .size = i2_size,
    .build = i2_build,
    .validate = i2_validate,
    .unpack = i2_unpack,
    .work_size = i2_work_size,
    .product = {
        [RSR_ACT_I8] = {
            [RSR_ISA_SCALAR] = rsr_product_i8_i2_generic,
            [RSR_ISA_AVX2] = RSR_X86(rsr_product_i8_i2_avx2),
            [RSR_ISA_AVX512] = RSR_X86(rsr_product_i8_i2_avx512),
        },
    },
};
