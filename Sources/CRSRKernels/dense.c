// dense.c: row lookups and the output head's matrix-vector product for F32, F16, BF16 and the
// quantized head formats (Q8_ROW: int8 rows with f32 scales; Q4_32: ggml's Q4_0 blocks). The integer
// formats take the input quantized to int8 once per product.
#include "dense.h"


static bool dense_type_ok(rsr_dtype type) { return (unsigned)type < RSR_DTYPE_COUNT; }

rsr_status rsr_dense_size(rsr_dtype type, uint32_t rows, uint32_t cols, uint64_t * bytes) {
    if (!bytes) return RSR_ERR_NULL;
    *bytes = 0;
    if (!dense_type_ok(type)) return RSR_ERR_ARGUMENT;
    const rsr_status s = rsr_check_dims(rows, cols);
    if (s != RSR_OK) return s;
    const uint64_t n = (uint64_t)rows * cols;
    switch (type) {
    case RSR_DTYPE_F32: *bytes = n * 4; break;
    case RSR_DTYPE_F16: case RSR_DTYPE_BF16: *bytes = n * 2; break;
    case RSR_DTYPE_Q8_ROW: *bytes = dense_q8_scales_offset(rows, cols) + (uint64_t)rows * 4; break;
    case RSR_DTYPE_Q4_32:
        if (cols % Q4_BLOCK) return RSR_ERR_SHAPE;
        *bytes = n / Q4_BLOCK * Q4_BLOCK_BYTES;
        break;
    default: return RSR_ERR_ARGUMENT;
    }
    return RSR_OK;
}

static rsr_status check_tensor(rsr_dtype type, const void * w, uint64_t bytes, uint32_t rows, uint32_t cols) {
    if (!w) return RSR_ERR_NULL;
    uint64_t need;
    const rsr_status s = rsr_dense_size(type, rows, cols, &need);
    if (s != RSR_OK) return s;
    return bytes >= need ? RSR_OK : RSR_ERR_BUFFER;
}

rsr_status rsr_dense_row(rsr_dtype type, const void * w, uint64_t bytes, uint32_t rows, uint32_t cols,
                         uint32_t row, float * out) {
    if (!out) return RSR_ERR_NULL;
    rsr_status s = check_tensor(type, w, bytes, rows, cols);
    if (s != RSR_OK) return s;
    if (row >= rows) return RSR_ERR_SHAPE;
    const uint8_t * base = w;
    const uint64_t at = (uint64_t)row * cols;
    switch (type) {
    case RSR_DTYPE_F32: memcpy(out, base + at * 4, (size_t)cols * 4); break;
    case RSR_DTYPE_F16:
        for (uint32_t c = 0; c < cols; ++c) { uint16_t h; memcpy(&h, base + (at + c) * 2, 2); out[c] = dense_f16_to_f32(h); }
        break;
    case RSR_DTYPE_BF16:
        for (uint32_t c = 0; c < cols; ++c) { uint16_t b; memcpy(&b, base + (at + c) * 2, 2); out[c] = dense_bf16_to_f32(b); }
        break;
    case RSR_DTYPE_Q8_ROW: {
        float scale;
        memcpy(&scale, base + dense_q8_scales_offset(rows, cols) + (uint64_t)row * 4, 4);
        for (uint32_t c = 0; c < cols; ++c) out[c] = (float)(int8_t)base[at + c] * scale;
        break;
    }
    case RSR_DTYPE_Q4_32:
        for (uint32_t b = 0; b < cols / Q4_BLOCK; ++b) {
            const uint8_t * block = base + (at / Q4_BLOCK + b) * Q4_BLOCK_BYTES;
            uint16_t dh;
            memcpy(&dh, block, 2);
            const float d = dense_f16_to_f32(dh);
            for (uint32_t j = 0; j < 16; ++j) {
                out[b * Q4_BLOCK + j] = (float)((block[2 + j] & 15) - 8) * d;
                out[b * Q4_BLOCK + j + 16] = (float)((block[2 + j] >> 4) - 8) * d;
            }
        }
        break;
    default: return RSR_ERR_ARGUMENT;
    }
    return RSR_OK;
}

// ---- head product ----------------------------------------------------------------------------------------

static bool integer_type(rsr_dtype type) { return type == RSR_DTYPE_Q8_ROW || type == RSR_DTYPE_Q4_32; }

rsr_status rsr_dense_work_size(rsr_dtype type, uint32_t cols, uint64_t * bytes) {
    if (!bytes) return RSR_ERR_NULL;
    if (!dense_type_ok(type)) return RSR_ERR_ARGUMENT;
    *bytes = integer_type(type) ? rsr_align_up(cols) + rsr_align_up((uint64_t)(cols / Q4_BLOCK + 1) * 4) + RSR_ALIGN : 0;
    return RSR_OK;
}

void dense_rows_generic(const dense_matvec * m, uint32_t r0, uint32_t r1) {
    const uint32_t cols = m->cols;
    for (uint32_t r = r0; r < r1; ++r) {
        const uint64_t at = (uint64_t)r * cols;
        float acc = 0;
        switch (m->type) {
        case RSR_DTYPE_F32: {
            const float * w = (const float *)m->w + at;
            for (uint32_t c = 0; c < cols; ++c) acc += w[c] * m->x[c];
            break;
        }
        case RSR_DTYPE_F16: case RSR_DTYPE_BF16: {
            const uint16_t * w = (const uint16_t *)m->w + at;
            if (m->type == RSR_DTYPE_F16) for (uint32_t c = 0; c < cols; ++c) acc += dense_f16_to_f32(w[c]) * m->x[c];
            else for (uint32_t c = 0; c < cols; ++c) acc += dense_bf16_to_f32(w[c]) * m->x[c];
            break;
        }
        case RSR_DTYPE_Q8_ROW: {
            const int8_t * w = (const int8_t *)m->w + at;
            int32_t dot = 0;
            for (uint32_t c = 0; c < cols; ++c) dot += w[c] * m->xq[c];
            float scale;
            memcpy(&scale, m->w + dense_q8_scales_offset(m->rows, cols) + (uint64_t)r * 4, 4);
            acc = (float)dot * scale / m->xs;
            break;
        }
        case RSR_DTYPE_Q4_32:
            for (uint32_t b = 0; b < cols / Q4_BLOCK; ++b) {
                const uint8_t * block = m->w + (at / Q4_BLOCK + b) * Q4_BLOCK_BYTES;
                const int8_t * x = m->xq + b * Q4_BLOCK;
                uint16_t dh;
                memcpy(&dh, block, 2);
                int32_t dot = 0;
                for (uint32_t j = 0; j < 16; ++j) dot += (block[2 + j] & 15) * x[j] + (block[2 + j] >> 4) * x[j + 16];
                acc += dense_f16_to_f32(dh) * ((float)dot - m->block_sums[b]);
            }
            acc /= m->xs;
            break;
        default: break;
        }
        m->y[r] = acc;
    }
}

typedef struct matvec_ctx {
    const dense_matvec * m;
    dense_rows_fn fn;
    uint32_t rows_per_task;
} matvec_ctx;

static void matvec_task(void * raw, uint32_t task, int thread) {
    const matvec_ctx * c = raw;
    const uint32_t r0 = task * c->rows_per_task, r1 = rsr_min_u32(r0 + c->rows_per_task, c->m->rows);
    c->fn(c->m, r0, r1);
}

rsr_status rsr_dense_matvec(rsr_dtype type, const void * w, uint64_t bytes, uint32_t rows, uint32_t cols,
                            const float * x, float * y, void * work, uint64_t work_bytes, rsr_pool * pool) {
    if (!x || !y) return RSR_ERR_NULL;
    rsr_status s = check_tensor(type, w, bytes, rows, cols);
    if (s != RSR_OK) return s;
    uint64_t need;
    rsr_dense_work_size(type, cols, &need);
    if (need && (!work || work_bytes < need)) return work ? RSR_ERR_BUFFER : RSR_ERR_NULL;

    dense_matvec m = { .type = type, .w = w, .rows = rows, .cols = cols, .x = x, .y = y };
    if (integer_type(type)) {
        int8_t * xq = (int8_t *)(((uintptr_t)work + RSR_ALIGN - 1) & ~(uintptr_t)(RSR_ALIGN - 1));
        float * sums = (float *)(xq + rsr_align_up(cols));
        // symmetric int8 of the whole vector, as every projection's input (the head's is one normalised row)
        s = rsr_quantize_i8(x, 1, cols, xq, &m.xs);
        if (s != RSR_OK) return s;
        m.xq_sum = 0;
        for (uint32_t i = 0; i < cols; ++i) m.xq_sum += xq[i];
        for (uint32_t b = 0; b < cols / Q4_BLOCK; ++b) {
            int32_t t = 0;
            for (uint32_t j = 0; j < Q4_BLOCK; ++j) t += xq[b * Q4_BLOCK + j];
            sums[b] = 8.0f * (float)t;
        }
        m.xq = xq;
        m.block_sums = sums;
    }
    dense_rows_fn fn = dense_rows_generic;
#if defined(__x86_64__)
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX512) fn = dense_rows_avx512;
#endif
    const uint32_t tasks = rsr_min_u32(rows, (uint32_t)rsr_pool_n(pool) * 16);
    matvec_ctx c = { .m = &m, .fn = fn, .rows_per_task = rsr_div_up(rows, tasks) };
    rsr_pool_run(pool, matvec_task, &c, rsr_div_up(rows, c.rows_per_task));
    return RSR_OK;
}
