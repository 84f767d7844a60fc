// rescale.c: what a ternary projection does around its integer product, row by row over the pool: the
// per-token int8 quantization of its input, and its int32 sums back to floats.
#include "activations.h"

typedef struct quantize_ctx {
    const float * x;
    int8_t * q;
    float * scales;
    uint32_t cols;
    act_quantize_fn fn;
} quantize_ctx;

static void quantize_rows(void * raw, uint64_t first, uint64_t count) {
    const quantize_ctx * c = raw;
    for (uint64_t r = first; r < first + count; ++r) c->scales[r] = c->fn(c->x + r * c->cols, c->cols, c->q + r * c->cols);
}

// Values a task takes at least: a decoded token's rows stay on the calling thread.
#define TASK_VALUES 16384u

rsr_status rsr_quantize_i8_rows(const float * x, uint32_t n_rows, uint32_t cols, int8_t * q, float * scales, rsr_pool * pool) {
    if (!x || !q || !scales) return RSR_ERR_NULL;
    if (n_rows == 0 || cols == 0) return RSR_ERR_SHAPE;
    quantize_ctx c = { .x = x, .q = q, .scales = scales, .cols = cols, .fn = act_quantize_generic };
#if defined(__x86_64__)
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX512) c.fn = act_quantize_avx512;
    else if (rsr_pool_isa(pool) >= RSR_ISA_AVX2) c.fn = act_quantize_avx2;
#endif
    return rsr_pool_run_ranges(pool, n_rows, rsr_max_u32(1, TASK_VALUES / cols), quantize_rows, &c);
}

rsr_status rsr_quantize_i8(const float * x, uint32_t n_rows, uint32_t cols, int8_t * q, float * scales) {
    return rsr_quantize_i8_rows(x, n_rows, cols, q, scales, NULL);
}

typedef struct rescale_ctx {
    const int32_t * acc;
    const float * scales, * bias;
    float * y;
    float weight_scale;
    bool divide;
    uint32_t rows;
    act_rescale_fn fn;
} rescale_ctx;

// Each value by the operations rsr_rescale_i32 names, in that order (built without contraction, so never
// fused).
void act_rescale_generic(const int32_t * acc, uint32_t n, float s, float weight_scale, bool divide, const float * bias, float * y) {
    if (divide) {
        const float d = weight_scale * s;
        for (uint32_t r = 0; r < n; ++r) y[r] = (float)acc[r] / d;
    } else {
        for (uint32_t r = 0; r < n; ++r) y[r] = (float)acc[r] / s * weight_scale;
    }
    if (bias) for (uint32_t r = 0; r < n; ++r) y[r] += bias[r];
}

static void rescale_vectors(void * raw, uint64_t first, uint64_t count) {
    const rescale_ctx * c = raw;
    for (uint64_t v = first; v < first + count; ++v) {
        c->fn(c->acc + v * c->rows, c->rows, c->scales[v], c->weight_scale, c->divide, c->bias, c->y + v * c->rows);
    }
}

rsr_status rsr_rescale_i32(const int32_t * acc, uint32_t batch, uint32_t rows, const float * scales, float weight_scale,
                           rsr_rescale_mode mode, const float * bias, float * y, rsr_pool * pool) {
    if (!acc || !scales || !y) return RSR_ERR_NULL;
    if (batch == 0 || rows == 0) return RSR_ERR_SHAPE;
    if (mode != RSR_RESCALE_MULTIPLY && mode != RSR_RESCALE_DIVIDE) return RSR_ERR_ARGUMENT;
    rescale_ctx c = { .acc = acc, .scales = scales, .bias = bias, .y = y, .weight_scale = weight_scale,
                      .divide = mode == RSR_RESCALE_DIVIDE, .rows = rows, .fn = act_rescale_generic };
#if defined(__x86_64__)
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX512) c.fn = act_rescale_avx512;
    else if (rsr_pool_isa(pool) >= RSR_ISA_AVX2) c.fn = act_rescale_avx2;
#endif
    return rsr_pool_run_ranges(pool, batch, rsr_max_u32(1, TASK_VALUES / rows), rescale_vectors, &c);
}
