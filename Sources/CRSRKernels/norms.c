// norms.c: RMSNorm of a batch of rows, rows split over the pool. The arithmetic is transformers' f32
// RMSNorm as rsr reproduces its tokens: the mean of squares summed in f64 in four chains (close to the
// reference's f32 cascade sum; the next step rounds x * 127 / max|x| to integers, so these roundings decide
// some of them), and a division by the root rather than a multiplication by its inverse.
#include "internal.h"

#include <math.h>

typedef struct rms_ctx {
    const float * x;
    const float * weight;
    float * out;
    uint32_t rows, cols, rows_per_task;
    float eps;
} rms_ctx;

// The sum of squares of R rows at once: each row keeps its own four chains in the same order as one row
// alone (same bits), and the R rows' chains are independent, so they overlap instead of each waiting on
// its own add latency.
static inline __attribute__((always_inline)) void rms_rows(const float * x, uint32_t cols, const float * weight,
                                                           float eps, float * out, int R) {
    double p[4][4] = {{0}};
    uint32_t c = 0;
    for (; c + 4 <= cols; c += 4) {
        for (int r = 0; r < R; ++r) {
            const float * row = x + (uint64_t)r * cols + c;
            for (int i = 0; i < 4; ++i) p[r][i] += (double)row[i] * (double)row[i];
        }
    }
    for (int r = 0; r < R; ++r) {
        const float * row = x + (uint64_t)r * cols;
        for (uint32_t t = c; t < cols; ++t) p[r][0] += (double)row[t] * (double)row[t];
        const double sum = (p[r][0] + p[r][1]) + (p[r][2] + p[r][3]);
        const float root = sqrtf((float)(sum / (double)cols) + eps);
        float * dst = out + (uint64_t)r * cols;
        for (uint32_t t = 0; t < cols; ++t) dst[t] = weight[t] * (row[t] / root);
    }
}

static void rms_task(void * raw, uint32_t task, int thread) {
    const rms_ctx * c = raw;
    const uint32_t r0 = task * c->rows_per_task, r1 = rsr_min_u32(r0 + c->rows_per_task, c->rows);
    uint32_t r = r0;
    for (; r + 4 <= r1; r += 4) rms_rows(c->x + (uint64_t)r * c->cols, c->cols, c->weight, c->eps, c->out + (uint64_t)r * c->cols, 4);
    for (; r < r1; ++r) rms_rows(c->x + (uint64_t)r * c->cols, c->cols, c->weight, c->eps, c->out + (uint64_t)r * c->cols, 1);
}

rsr_status rsr_rms_norm_f32(const float * x, uint32_t rows, uint32_t cols, const float * weight, float eps, float * out,
                            rsr_pool * pool) {
    if (!x || !weight || !out) return RSR_ERR_NULL;
    if (rows == 0 || cols == 0) return RSR_ERR_SHAPE;
    // a few tasks per thread; one row alone runs on the caller without a hand-off
    const uint32_t target = (uint32_t)rsr_pool_n(pool) * 4;
    rms_ctx c = { .x = x, .weight = weight, .out = out, .rows = rows, .cols = cols, .eps = eps,
                  .rows_per_task = rows <= target ? 1 : rsr_div_up(rows, target) };
    rsr_pool_run(pool, rms_task, &c, rsr_div_up(rows, c.rows_per_task));
    return RSR_OK;
}
