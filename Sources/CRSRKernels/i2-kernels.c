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

rsr_status i2_run(const rsr_product * p, rsr_task_fn task) {
    const uint32_t target = (uint32_t)p->n_threads * 8;
    i2_ctx c = { .p = p, .per_task = p->h->n_blocks <= target ? 1 : rsr_div_up(p->h->n_blocks, target) };
    const int8_t * xp;
    int32_t * sums;
    prepare_inputs(p, &xp, &sums);
    c.xp = xp;
    c.sums = sums;
    rsr_pool_run(p->pool, task, &c, rsr_div_up(p->h->n_blocks, c.per_task));
    return RSR_OK;
}

static void row_tiles_task(void * raw, uint32_t task, int thread) {
    const i2_ctx * c = raw;
    const rsr_product * p = c->p;
    const rsr_layout_header * h = p->h;
    uint32_t t0, t1;
    i2_task_tiles(c, task, &t0, &t1);
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

rsr_status rsr_product_i8_i2_generic(const rsr_product * p) { return i2_run(p, row_tiles_task); }
