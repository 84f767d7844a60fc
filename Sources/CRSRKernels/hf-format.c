// hf-format.c: ternary weights as Hugging Face checkpoints store them: transformers' 2-bit packing
// (BitNet b1.58 2B4T, HF1BitLLM, Falcon3-1.58bit) and absmean ternarisation of full-precision weights
// (the -bf16 variants, 1bitLLM), both exactly as transformers computes them.
#include "internal.h"

#include <math.h>

rsr_status rsr_hf_pack_size(uint32_t rows, uint32_t cols, uint64_t * bytes) {
    if (!bytes) return RSR_ERR_NULL;
    *bytes = 0;
    const rsr_status s = rsr_check_dims(rows, cols);
    if (s != RSR_OK) return s;
    *bytes = (uint64_t)rsr_div_up(rows, 4) * cols;
    return RSR_OK;
}

rsr_status rsr_hf_pack(const int8_t * w, uint32_t rows, uint32_t cols, uint8_t * packed, uint64_t packed_bytes) {
    if (!w || !packed) return RSR_ERR_NULL;
    uint64_t need;
    rsr_status s = rsr_hf_pack_size(rows, cols, &need);
    if (s != RSR_OK) return s;
    if (packed_bytes < need) return RSR_ERR_BUFFER;
    if ((s = rsr_check_values(RSR_WEIGHTS_TERNARY, w, (uint64_t)rows * cols)) != RSR_OK) return s;
    const uint32_t P = rsr_div_up(rows, 4);
    for (uint32_t r = 0; r < P; ++r) {
        for (uint32_t c = 0; c < cols; ++c) {
            uint8_t byte = 0;
            for (uint32_t i = 0; i < 4; ++i) {
                const uint32_t row = i * P + r;
                const int v = row < rows ? w[(uint64_t)row * cols + c] : 0;
                byte |= (uint8_t)((v + 1) << (2 * i));
            }
            packed[(uint64_t)r * cols + c] = byte;
        }
    }
    return RSR_OK;
}

// ---- unpacking -------------------------------------------------------------------------------------------

typedef struct unpack_i8_ctx {
    const uint8_t * packed;
    int8_t * w;
    uint32_t cols, P, per_task;
    _Atomic int bad; // a 2-bit code of 3 was seen (it would decode to 2)
} unpack_i8_ctx;

static void unpack_i8_task(void * raw, uint32_t task, int thread) {
    unpack_i8_ctx * c = raw;
    const uint32_t r0 = task * c->per_task, r1 = rsr_min_u32(r0 + c->per_task, c->P);
    int bad = 0;
    for (uint32_t r = r0; r < r1; ++r) {
        const uint8_t * src = c->packed + (uint64_t)r * c->cols;
        for (uint32_t i = 0; i < 4; ++i) {
            int8_t * dst = c->w + ((uint64_t)i * c->P + r) * c->cols;
            for (uint32_t col = 0; col < c->cols; ++col) {
                const uint8_t code = (src[col] >> (2 * i)) & 3;
                bad |= code == 3;
                dst[col] = (int8_t)code - 1;
            }
        }
    }
    if (bad) c->bad = 1;
}

rsr_status rsr_hf_unpack_i8(const uint8_t * packed, uint32_t packed_rows, uint32_t cols, int8_t * w, rsr_pool * pool) {
    if (!packed || !w) return RSR_ERR_NULL;
    if (packed_rows == 0 || packed_rows > RSR_MAX_DIM / 4) return packed_rows == 0 ? RSR_ERR_SHAPE : RSR_ERR_OVERFLOW;
    const rsr_status s = rsr_check_dims(packed_rows * 4, cols);
    if (s != RSR_OK) return s;
    const uint32_t tasks = (uint32_t)rsr_pool_n(pool) * 4;
    unpack_i8_ctx c = { .packed = packed, .w = w, .cols = cols, .P = packed_rows,
                        .per_task = rsr_div_up(packed_rows, tasks) };
    rsr_pool_run(pool, unpack_i8_task, &c, rsr_div_up(packed_rows, c.per_task));
    return c.bad ? RSR_ERR_VALUE : RSR_OK;
}

// ---- absmean ---------------------------------------------------------------------------------------------

typedef struct absmean_ctx {
    const float * w;
    int8_t * q;
    uint64_t n, per_task;
    double * partial; // one sum per task, added in task order so the result does not depend on threads
    float scale;
} absmean_ctx;

static void abs_sum_task(void * raw, uint32_t task, int thread) {
    absmean_ctx * c = raw;
    const uint64_t i0 = (uint64_t)task * c->per_task, i1 = i0 + c->per_task < c->n ? i0 + c->per_task : c->n;
    double sum = 0;
    for (uint64_t i = i0; i < i1; ++i) sum += fabs((double)c->w[i]);
    c->partial[task] = sum;
}

static void ternarize_task(void * raw, uint32_t task, int thread) {
    absmean_ctx * c = raw;
    const uint64_t i0 = (uint64_t)task * c->per_task, i1 = i0 + c->per_task < c->n ? i0 + c->per_task : c->n;
    for (uint64_t i = i0; i < i1; ++i) {
        const float v = rintf(c->w[i] * c->scale); // round half to even, like torch.round
        c->q[i] = (int8_t)(v > 1.0f ? 1 : v < -1.0f ? -1 : v);
    }
}

#define ABSMEAN_TASKS 64

rsr_status rsr_absmean_ternarize(const float * w, uint64_t n, int8_t * q, float * scale, rsr_pool * pool) {
    if (!w || !q || !scale) return RSR_ERR_NULL;
    if (n == 0) return RSR_ERR_SHAPE;
    double partial[ABSMEAN_TASKS];
    absmean_ctx c = { .w = w, .q = q, .n = n, .per_task = (n + ABSMEAN_TASKS - 1) / ABSMEAN_TASKS, .partial = partial };
    const uint32_t tasks = (uint32_t)((n + c.per_task - 1) / c.per_task);
    rsr_pool_run(pool, abs_sum_task, &c, tasks);
    double sum = 0;
    for (uint32_t t = 0; t < tasks; ++t) sum += partial[t];
    const float mean = (float)(sum / (double)n);
    if (!isfinite(mean)) return RSR_ERR_VALUE;
    c.scale = 1.0f / (mean > 1e-5f ? mean : 1e-5f);
    rsr_pool_run(pool, ternarize_task, &c, tasks);
    *scale = c.scale;
    return RSR_OK;
}
