// i2-kernels.c: portable packed-i2 product (int8 activations, exact int32 results) and the runner the SIMD
// kernels share.
#include "i2-layout.h"

// The kernels read whole tiles of columns: vectors whose columns fill whole tiles are read where they are,
// others are copied with zeros to the end of their last tile.
static void prepare_inputs(const rsr_product * p, const int8_t ** inputs, int32_t ** sums) {
    const rsr_layout_header * h = p->h;
    const uint64_t stride = i2_padded_cols(h);
    const int8_t * x = (const int8_t *)p->x;
    *sums = (int32_t *)(p->work + i2_work_inputs(h, p->batch));
    for (uint32_t v = 0; v < p->batch; ++v) (*sums)[v] = rsr_sum_i8(x + (uint64_t)v * h->cols, h->cols);
    if (stride == h->cols && (uintptr_t)x % 4 == 0) { // the kernels load four columns as one int32
        *inputs = x;
        return;
    }
    int8_t * padded = (int8_t *)p->work;
    for (uint32_t v = 0; v < p->batch; ++v) {
        memcpy(padded + v * stride, x + (uint64_t)v * h->cols, h->cols);
        memset(padded + v * stride + h->cols, 0, stride - h->cols);
    }
    *inputs = padded;
}

rsr_status i2_run(const rsr_product * const * p, uint32_t n, rsr_task_fn task) {
    uint32_t blocks = 0;
    for (uint32_t j = 0; j < n; ++j) blocks += p[j]->h->n_blocks;
    const uint32_t target = (uint32_t)p[0]->n_threads * 8;
    i2_ctx c = { .p = p, .per_task = blocks <= target ? 1 : rsr_div_up(blocks, target) };
    for (uint32_t j = 0; j < n; ++j) c.first_task[j + 1] = c.first_task[j] + rsr_div_up(p[j]->h->n_blocks, c.per_task);
    const int8_t * xp;
    int32_t * sums;
    prepare_inputs(p[0], &xp, &sums);
    c.xp = xp;
    c.sums = sums;
    rsr_pool_run(p[0]->pool, task, &c, c.first_task[n]);
    return RSR_OK;
}

static void row_tiles_task(void * raw, uint32_t task, int thread) {
    const i2_ctx * c = raw;
    uint32_t t0, t1;
    const rsr_product * p = i2_task_tiles(c, task, &t0, &t1);
    const rsr_layout_header * h = p->h;
    for (uint32_t rt = t0; rt < t1; ++rt) {
        const uint8_t * tiles = i2_tiles(h, p->base, rt);
        for (uint32_t r = 0; r < I2_TILE && rt * I2_TILE + r < h->rows; ++r) {
            for (uint32_t v = 0; v < p->batch; ++v) {
                const int8_t * x = (const int8_t *)p->x + (uint64_t)v * h->cols;
                int32_t acc = 0;
                for (uint32_t col = 0; col < h->cols; ++col) {
                    const uint8_t byte = tiles[(uint64_t)(col / I2_TILE) * I2_TILE_BYTES + i2_byte(r, col % I2_TILE)];
                    acc += (((byte >> i2_shift(col % I2_TILE)) & 3) - 1) * x[col];
                }
                ((int32_t *)p->y)[(uint64_t)v * h->rows + rt * I2_TILE + r] = acc;
            }
        }
    }
}

rsr_status rsr_products_i8_i2_generic(const rsr_product * const * p, uint32_t n) { return i2_run(p, n, row_tiles_task); }
rsr_status rsr_product_i8_i2_generic(const rsr_product * p) { return i2_run(&p, 1, row_tiles_task); }
