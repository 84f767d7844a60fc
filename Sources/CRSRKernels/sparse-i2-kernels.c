// sparse-i2-kernels.c: the portable sparse-i2 product (int8 activations, exact int32 results) and the
// runner the SIMD kernel shares.
#include "sparse-i2-layout.h"

static uint32_t list_generic(const int8_t * x, uint32_t cols, uint32_t * offsets, int8_t * inputs) {
    return sparse_i2_list_from(x, 0, cols, offsets, inputs);
}

// Vector i of the group's outputs for a block from its rows' sums, without the rows past the matrix.
static void store(const sparse_i2_ctx * c, uint32_t i, uint32_t block, const int32_t * sums) {
    const rsr_layout_header * h = c->p->h;
    const uint32_t r0 = block * SPARSE_I2_ROWS, n = rsr_min_u32(SPARSE_I2_ROWS, h->rows - r0);
    int32_t * y = (int32_t *)c->p->y + (uint64_t)(c->v0 + i) * h->rows;
    for (uint32_t r = 0; r < n; ++r) y[r0 + r] = sums[r] - c->sum[i];
}

static void block_task(void * raw, uint32_t block, int thread) {
    const sparse_i2_ctx * c = raw;
    const uint8_t * pieces = sparse_i2_block(c->p->h, c->p->base, block);
    for (uint32_t v = 0; v < c->n; ++v) {
        _Alignas(64) int32_t sums[SPARSE_I2_ROWS] = {0};
        c->rows(c, v, pieces, sums);
        store(c, v, block, sums);
    }
}

rsr_status sparse_i2_run(const rsr_product * p, sparse_i2_list_fn list, sparse_i2_rows_fn rows) {
    const rsr_layout_header * h = p->h;
    for (uint32_t v0 = 0; v0 < p->batch; v0 += SPARSE_I2_GROUP) {
        sparse_i2_ctx c = { .p = p, .rows = rows, .v0 = v0, .n = rsr_min_u32(SPARSE_I2_GROUP, p->batch - v0) };
        for (uint32_t i = 0; i < c.n; ++i) {
            const int8_t * x = (const int8_t *)p->x + (uint64_t)(v0 + i) * h->cols;
            uint32_t * offsets = sparse_i2_offsets(p, i);
            int8_t * inputs = sparse_i2_inputs(p, i);
            uint32_t n = list(x, h->cols, offsets, inputs);
            for (const uint32_t last = n ? offsets[n - 1] : 0; n % SPARSE_I2_STEP; ++n) {
                offsets[n] = last;
                inputs[n] = 0;
            }
            c.count[i] = n;
            c.sum[i] = rsr_sum_i8(x, h->cols);
        }
        rsr_pool_run(p->pool, block_task, &c, h->n_blocks);
    }
    return RSR_OK;
}

static void rows_generic(const sparse_i2_ctx * c, uint32_t v, const uint8_t * pieces, int32_t * sums) {
    const uint32_t * offsets = sparse_i2_offsets(c->p, v);
    const int8_t * inputs = sparse_i2_inputs(c->p, v);
    for (uint32_t i = 0; i < c->count[v]; ++i) {
        const uint8_t * piece = pieces + offsets[i];
        const int32_t x = inputs[i];
        for (uint32_t b = 0; b < SPARSE_I2_PIECE; ++b) {
            for (uint32_t s = 0; s < 4; ++s) sums[SPARSE_I2_PIECE * s + b] += x * ((piece[b] >> (2 * s)) & 3);
        }
    }
}

rsr_status rsr_product_i8_sparse_i2_generic(const rsr_product * p) {
    return sparse_i2_run(p, list_generic, rows_generic);
}
