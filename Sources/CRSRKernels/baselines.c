// baselines.c: the dense kernels RSR is measured against: a plain float loop, OpenBLAS, and the per-call
// unpack-then-dense path of transformers' BitLinear for packed BitNet weights.
#include "internal.h"

#include <cblas.h>

// ---- dense-f32 -------------------------------------------------------------------------------------------

typedef struct dense_ctx {
    const float * w, * x;
    float * y;
    uint32_t rows, cols, batch, rows_per_task;
} dense_ctx;

static void dense_task(void * raw, uint32_t task, int thread) {
    const dense_ctx * c = raw;
    const uint32_t r0 = task * c->rows_per_task, r1 = rsr_min_u32(r0 + c->rows_per_task, c->rows);
    for (uint32_t v = 0; v < c->batch; ++v) {
        const float * x = c->x + (uint64_t)v * c->cols;
        for (uint32_t r = r0; r < r1; ++r) {
            const float * w = c->w + (uint64_t)r * c->cols;
            float acc = 0;
            for (uint32_t i = 0; i < c->cols; ++i) acc += w[i] * x[i];
            c->y[(uint64_t)v * c->rows + r] = acc;
        }
    }
}

static rsr_status check_dense(const void * w, uint32_t rows, uint32_t cols, const void * x, uint32_t batch, const void * y) {
    if (!w || !x || !y) return RSR_ERR_NULL;
    const rsr_status s = rsr_check_dims(rows, cols);
    return s != RSR_OK ? s : rsr_check_batch(batch);
}

rsr_status rsr_dense_f32(const float * w, uint32_t rows, uint32_t cols, const float * x, uint32_t batch,
                         float * y, rsr_pool * pool) {
    const rsr_status s = check_dense(w, rows, cols, x, batch, y);
    if (s != RSR_OK) return s;
    dense_ctx c = { .w = w, .x = x, .y = y, .rows = rows, .cols = cols, .batch = batch,
                    .rows_per_task = rsr_div_up(rows, (uint32_t)rsr_pool_n(pool) * 8) };
    rsr_pool_run(pool, dense_task, &c, rsr_div_up(rows, c.rows_per_task));
    return RSR_OK;
}

// ---- openblas-f32 ----------------------------------------------------------------------------------------

static void blas_product(const float * w, uint32_t rows, uint32_t cols, const float * x, uint32_t batch, float * y) {
    if (batch == 1) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)cols, 1.0f, w, (int)cols, x, 1, 0.0f, y, 1);
    } else {
        // Y[batch][rows] = X[batch][cols] * W[rows][cols]^T
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)rows, (int)cols,
                    1.0f, x, (int)cols, w, (int)cols, 0.0f, y, (int)rows);
    }
}

rsr_status rsr_openblas_f32(const float * w, uint32_t rows, uint32_t cols, const float * x, uint32_t batch,
                            float * y, int n_threads) {
    const rsr_status s = check_dense(w, rows, cols, x, batch, y);
    if (s != RSR_OK) return s;
    if (n_threads < 1 || n_threads > 256) return RSR_ERR_THREADS;
    openblas_set_num_threads(n_threads);
    blas_product(w, rows, cols, x, batch, y);
    return RSR_OK;
}

// ---- hf-unpack -------------------------------------------------------------------------------------------

typedef struct unpack_ctx {
    const uint8_t * packed;
    float * scratch;
    uint32_t rows, cols, P, per_task;
} unpack_ctx;

// transformers' unpack_weights: for each of the four crumbs, ((packed & mask) >> shift) - 1 into row block i.
static void unpack_task(void * raw, uint32_t task, int thread) {
    const unpack_ctx * c = raw;
    const uint32_t r0 = task * c->per_task, r1 = rsr_min_u32(r0 + c->per_task, c->P);
    for (uint32_t i = 0; i < 4; ++i) {
        for (uint32_t r = r0; r < r1; ++r) {
            const uint32_t row = i * c->P + r;
            if (row >= c->rows) break;
            const uint8_t * src = c->packed + (uint64_t)r * c->cols;
            float * dst = c->scratch + (uint64_t)row * c->cols;
            for (uint32_t col = 0; col < c->cols; ++col) dst[col] = (float)((src[col] >> (2 * i)) & 3) - 1.0f;
        }
    }
}

rsr_status rsr_hf_unpack_f32(const uint8_t * packed, uint32_t rows, uint32_t cols, const float * x,
                             uint32_t batch, float * y, float * scratch, uint64_t scratch_floats,
                             rsr_pool * pool) {
    rsr_status s = check_dense(packed, rows, cols, x, batch, y);
    if (s != RSR_OK) return s;
    if (!scratch) return RSR_ERR_NULL;
    if (scratch_floats < (uint64_t)rows * cols) return RSR_ERR_BUFFER;
    const int n = rsr_pool_n(pool);
    const uint32_t P = rsr_div_up(rows, 4);
    unpack_ctx c = { .packed = packed, .scratch = scratch, .rows = rows, .cols = cols, .P = P,
                     .per_task = rsr_div_up(P, (uint32_t)n * 4) };
    rsr_pool_run(pool, unpack_task, &c, rsr_div_up(P, c.per_task));
    rsr_pool_park(pool);
    openblas_set_num_threads(n);
    blas_product(scratch, rows, cols, x, batch, y);
    return RSR_OK;
}
