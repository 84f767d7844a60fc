// dense.c: row lookups and the products of the output head and of float projections for F32, F16, BF16 and the
// quantized head formats (Q8_ROW: int8 rows with f32 scales; Q4_32: ggml's Q4_0 blocks; Q6_256: 6-bit values
// with int8 scales per 16, as llama.cpp's Q6_K). The integer formats take the input quantized to int8 once
// per product.
#include "dense.h"

#include <math.h>
#include <stdlib.h>


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
    case RSR_DTYPE_Q6_256:
        if (cols % Q6_BLOCK) return RSR_ERR_SHAPE;
        *bytes = n / Q6_BLOCK * Q6_BLOCK_BYTES;
        break;
    default: return RSR_ERR_ARGUMENT;
    }
    return RSR_OK;
}

// The scale of 16 values and their codes l (-32..31) at it, as llama.cpp's make_qx_quants (rmse_type 1)
// chooses them: codes rounded at trial scales around extreme / -32, each trial's scale refitted by least
// squares weighted by x^2, the best fit kept. Measured on kjv-llama-float's head (docs/QUALITY.md), 81
// trials 0.05 apart beat its 19 trials 0.1 apart (mean KL 0.000138 against 0.000145 with f16 scales per 32).
static float q6_sub_scale(const float * x, int8_t * l) {
    float extreme = 0;
    for (uint32_t j = 0; j < Q6_SUB; ++j) if (fabsf(x[j]) > fabsf(extreme)) extreme = x[j];
    memset(l, 0, Q6_SUB);
    if (fabsf(extreme) < 1e-30f) return 0;
    float best_d = 0, best_score = -1;
    for (int is = -40; is <= 40; ++is) {
        const float inverse = -(32.0f + 0.05f * (float)is) / extreme;
        float lx = 0, l2 = 0;
        for (uint32_t j = 0; j < Q6_SUB; ++j) {
            const float q = fmaxf(-32.0f, fminf(31.0f, rintf(inverse * x[j]))), w = x[j] * x[j];
            lx += w * x[j] * q;
            l2 += w * q * q;
        }
        if (l2 > 0 && lx * lx / l2 > best_score) {
            best_score = lx * lx / l2;
            best_d = lx / l2;
        }
    }
    return best_d;
}

// One Q6_256 block as llama.cpp's quantize_row_q6_K_ref builds one: scales per 16, the one of largest
// magnitude mapped to -128 by d, each rounded to int8, then every code rounded again at its d * s.
static rsr_status q6_block(const float * x, uint8_t * block) {
    float scales[Q6_BLOCK / Q6_SUB], max_scale = 0;
    int8_t l[Q6_SUB];
    for (uint32_t sub = 0; sub < Q6_BLOCK / Q6_SUB; ++sub) {
        scales[sub] = q6_sub_scale(x + sub * Q6_SUB, l);
        if (fabsf(scales[sub]) > fabsf(max_scale)) max_scale = scales[sub];
    }
    memset(block, 0, Q6_BLOCK_BYTES);
    if (max_scale == 0) {
        memset(block + Q6_NIBBLES, 0x22, 128); // code 32 (zero) everywhere
        memset(block + Q6_PAIRS, 0xaa, 64);
        return RSR_OK;
    }
    const float inverse = -128.0f / max_scale;
    const _Float16 d = (_Float16)(1.0f / inverse);
    if (!isfinite((float)d)) return RSR_ERR_VALUE;
    memcpy(block, &d, 2);
    for (uint32_t sub = 0; sub < Q6_BLOCK / Q6_SUB; ++sub) {
        const int8_t s = (int8_t)fminf(127.0f, rintf(inverse * scales[sub]));
        block[2 + sub] = (uint8_t)s;
        const float step = (float)d * (float)s;
        for (uint32_t j = sub * Q6_SUB; j < (sub + 1) * Q6_SUB; ++j) {
            const uint32_t q = step != 0 ? (uint32_t)(fmaxf(-32.0f, fminf(31.0f, rintf(x[j] / step))) + 32.0f) : 32u;
            block[Q6_NIBBLES + j % 128] |= (uint8_t)((q & 15u) << (4 * (j / 128)));
            block[Q6_PAIRS + j % 64] |= (uint8_t)((q >> 4) << (2 * (j / 64)));
        }
    }
    return RSR_OK;
}

rsr_status rsr_q6_256_quantize(const float * w, uint32_t rows, uint32_t cols, void * out, uint64_t out_bytes) {
    if (!w || !out) return RSR_ERR_NULL;
    uint64_t need;
    rsr_status s = rsr_dense_size(RSR_DTYPE_Q6_256, rows, cols, &need);
    if (s != RSR_OK) return s;
    if (out_bytes < need) return RSR_ERR_BUFFER;
    for (uint64_t i = 0; i < (uint64_t)rows * cols; ++i) if (!isfinite(w[i])) return RSR_ERR_VALUE;
    for (uint64_t b = 0; b < (uint64_t)rows * cols / Q6_BLOCK && s == RSR_OK; ++b) {
        s = q6_block(w + b * Q6_BLOCK, (uint8_t *)out + b * Q6_BLOCK_BYTES);
    }
    return s;
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
        for (uint32_t c = 0; c < cols; ++c) { uint16_t h; memcpy(&h, base + (at + c) * 2, 2); out[c] = rsr_f16_to_f32(h); }
        break;
    case RSR_DTYPE_BF16:
        for (uint32_t c = 0; c < cols; ++c) { uint16_t b; memcpy(&b, base + (at + c) * 2, 2); out[c] = rsr_bf16_to_f32(b); }
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
            const float d = rsr_f16_to_f32(dh);
            for (uint32_t j = 0; j < 16; ++j) {
                out[b * Q4_BLOCK + j] = (float)((block[2 + j] & 15) - 8) * d;
                out[b * Q4_BLOCK + j + 16] = (float)((block[2 + j] >> 4) - 8) * d;
            }
        }
        break;
    case RSR_DTYPE_Q6_256:
        for (uint32_t b = 0; b < cols / Q6_BLOCK; ++b) {
            const uint8_t * block = base + (at / Q6_BLOCK + b) * Q6_BLOCK_BYTES;
            const float d = dense_q6_d(block);
            for (uint32_t j = 0; j < Q6_BLOCK; ++j) {
                out[b * Q6_BLOCK + j] = d * (float)(dense_q6_sub_scale(block, j / Q6_SUB) * ((int32_t)dense_q6_code(block, j) - 32));
            }
        }
        break;
    default: return RSR_ERR_ARGUMENT;
    }
    return RSR_OK;
}

static bool integer_type(rsr_dtype type) { return type == RSR_DTYPE_Q8_ROW || type == RSR_DTYPE_Q4_32 || type == RSR_DTYPE_Q6_256; }

// ---- head product ----------------------------------------------------------------------------------------

// Per input vector of the integer types, one record in the work buffer: its int8 quantization, 8 x the sum
// of each 32-block of it, then its scale and sum. Q6_256 inputs go after the records, by groups of up to
// DENSE_BATCH_VECTORS vectors (those a batch kernel takes at once): the group's quantizations in
// dense_q6_order, block by block and in each block vector by vector ([block][vector][256]), then -32 x
// their 16-value part sums alike ([block][vector][16]), so that a kernel reads every vector of a block at
// fixed offsets from one pointer. For the AVX2 kernel, the inputs are in natural order and the part sums
// int16, negated.
typedef struct dense_quantized_input {
    float xs;
    int32_t xq_sum;
} dense_quantized_input;

static uint64_t record_sums_offset(uint32_t cols) { return rsr_align_up(cols); }
static uint64_t record_input_offset(uint32_t cols) { return record_sums_offset(cols) + rsr_align_up((uint64_t)(cols / Q4_BLOCK + 1) * 4); }
static uint64_t quantized_input_bytes(uint32_t cols) { return record_input_offset(cols) + rsr_align_up(sizeof(dense_quantized_input)); }

static uint8_t * record_at(uint8_t * records, uint32_t cols, uint32_t vector) {
    return records + (uint64_t)vector * quantized_input_bytes(cols);
}

// A group's Q6_256 inputs (DENSE_BATCH_VECTORS x cols bytes), then its part sums.
static uint64_t q6_group_bytes(uint32_t cols) { return (uint64_t)DENSE_BATCH_VECTORS * (cols + cols / Q6_SUB * 4); }
static uint64_t q6_groups(uint32_t batch) { return rsr_div_up(batch, DENSE_BATCH_VECTORS); }

static uint8_t * q6_group_at(uint8_t * records, uint32_t cols, uint32_t batch, uint32_t vector) {
    return records + (uint64_t)batch * quantized_input_bytes(cols) + vector / DENSE_BATCH_VECTORS * q6_group_bytes(cols);
}

static int32_t * q6_group_parts(uint8_t * group, uint32_t cols) { return (int32_t *)(group + (uint64_t)DENSE_BATCH_VECTORS * cols); }

rsr_status rsr_dense_batch_work_size(rsr_dtype type, uint32_t cols, uint32_t batch, uint64_t * bytes) {
    if (!bytes) return RSR_ERR_NULL;
    *bytes = 0;
    if (!dense_type_ok(type)) return RSR_ERR_ARGUMENT;
    if (integer_type(type) && batch) {
        *bytes = (uint64_t)batch * quantized_input_bytes(cols) + RSR_ALIGN;
        if (type == RSR_DTYPE_Q6_256) *bytes += q6_groups(batch) * q6_group_bytes(cols);
    }
    return RSR_OK;
}

rsr_status rsr_dense_work_size(rsr_dtype type, uint32_t cols, uint64_t * bytes) {
    return rsr_dense_batch_work_size(type, cols, 1, bytes);
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
            if (m->type == RSR_DTYPE_F16) for (uint32_t c = 0; c < cols; ++c) acc += rsr_f16_to_f32(w[c]) * m->x[c];
            else for (uint32_t c = 0; c < cols; ++c) acc += rsr_bf16_to_f32(w[c]) * m->x[c];
            break;
        }
        case RSR_DTYPE_Q8_ROW: {
            const int8_t * w = (const int8_t *)m->w + at;
            int32_t dot = 0;
            for (uint32_t c = 0; c < cols; ++c) dot += w[c] * m->xq[c];
            acc = (float)dot * dense_q8_scale(m, r) / m->xs;
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
                acc += rsr_f16_to_f32(dh) * ((float)dot - m->block_sums[b]);
            }
            acc /= m->xs;
            break;
        case RSR_DTYPE_Q6_256:
            // per block, the exact int32 sum of s * (q - 32) x, times d
            for (uint32_t b = 0; b < cols / Q6_BLOCK; ++b) {
                const uint8_t * block = m->w + (at / Q6_BLOCK + b) * Q6_BLOCK_BYTES;
                const int8_t * x = m->xq + b * Q6_BLOCK;
                int32_t sum = 0;
                for (uint32_t sub = 0; sub < Q6_BLOCK / Q6_SUB; ++sub) {
                    int32_t dot = 0;
                    for (uint32_t j = sub * Q6_SUB; j < (sub + 1) * Q6_SUB; ++j) dot += ((int32_t)dense_q6_code(block, j) - 32) * x[j];
                    sum += dense_q6_sub_scale(block, sub) * dot;
                }
                acc += dense_q6_d(block) * (float)sum;
            }
            acc /= m->xs;
            break;
        default: break;
        }
        m->y[r] = acc;
    }
}

typedef struct matmul_ctx {
    dense_matvec shape;    // type, w, rows, cols; the rest is set per input vector
    const float * x;       // [batch][cols]
    float * y;             // [batch][rows]
    uint8_t * quantized;   // integer types: one quantized_input_bytes(cols) record per vector
    uint32_t batch;
    dense_rows_fn fn;
    dense_float_batch_fn float_batch; // float types with more than one vector, where the ISA has one
    dense_rows_batch_fn rows_batch;   // integer types with more than one vector, where the ISA has one
    uint32_t rows_per_task;
} matmul_ctx;

// The product's view of input vector b.
static dense_matvec vector_view(const matmul_ctx * c, uint32_t b) {
    const uint32_t cols = c->shape.cols;
    dense_matvec m = c->shape;
    m.x = c->x + (uint64_t)b * cols;
    m.y = c->y + (uint64_t)b * c->shape.rows;
    if (c->quantized) {
        const uint8_t * record = record_at(c->quantized, cols, b);
        const dense_quantized_input * input = (const dense_quantized_input *)(record + record_input_offset(cols));
        m.xq = (const int8_t *)record;
        m.block_sums = (const float *)(record + record_sums_offset(cols));
        if (c->shape.type == RSR_DTYPE_Q6_256) {
            uint8_t * group = q6_group_at(c->quantized, cols, c->batch, b);
            const uint32_t lane = b % DENSE_BATCH_VECTORS;
            m.xq_q6 = (const int8_t *)group + (uint64_t)lane * Q6_BLOCK;
            m.part_starts = q6_group_parts(group, cols) + lane * (Q6_BLOCK / Q6_SUB);
            m.part_sums = (const int16_t *)q6_group_parts(group, cols) + lane * (Q6_BLOCK / Q6_SUB);
        }
        m.xs = input->xs;
        m.xq_sum = input->xq_sum;
    }
    return m;
}

static void matmul_task(void * raw, uint32_t task, int thread) {
    const matmul_ctx * c = raw;
    const uint32_t rows = c->shape.rows;
    const uint32_t r0 = task * c->rows_per_task, r1 = rsr_min_u32(r0 + c->rows_per_task, rows);
    if (c->float_batch) {
        c->float_batch(&c->shape, c->x, c->y, c->batch, r0, r1);
        return;
    }
    if (c->rows_batch) {
        // each row is read once for up to DENSE_BATCH_VECTORS vectors
        for (uint32_t b0 = 0; b0 < c->batch; b0 += DENSE_BATCH_VECTORS) {
            dense_matvec views[DENSE_BATCH_VECTORS];
            const uint32_t n = rsr_min_u32(DENSE_BATCH_VECTORS, c->batch - b0);
            for (uint32_t i = 0; i < n; ++i) views[i] = vector_view(c, b0 + i);
            c->rows_batch(views, n, r0, r1);
        }
        return;
    }
    // a tile of rows stays in L2 while every vector of the batch passes over it
    for (uint32_t b = 0; b < c->batch; ++b) {
        const dense_matvec m = vector_view(c, b);
        c->fn(&m, r0, r1);
    }
}

// Symmetric int8 of each whole vector, as every projection's input (the head's are normalised rows), and
// the sums the type's kernels take from the record: Q8_ROW the whole sum, Q4_32 its 32-block sums, Q6_256
// the input in its lane order and its 16-value part sums.
static rsr_status quantize_inputs(rsr_dtype type, const float * x, uint32_t batch, uint32_t cols, uint8_t * records, bool q6_lanes) {
    for (uint32_t v = 0; v < batch; ++v) {
        uint8_t * record = record_at(records, cols, v);
        int8_t * xq = (int8_t *)record;
        dense_quantized_input * input = (dense_quantized_input *)(record + record_input_offset(cols));
        const rsr_status s = rsr_quantize_i8(x + (uint64_t)v * cols, 1, cols, xq, &input->xs);
        if (s != RSR_OK) return s;
        input->xq_sum = type == RSR_DTYPE_Q8_ROW ? rsr_sum_i8(xq, cols) : 0;
        if (type == RSR_DTYPE_Q4_32) {
            float * sums = (float *)(record + record_sums_offset(cols));
            for (uint32_t b = 0; b < cols / Q4_BLOCK; ++b) sums[b] = 8.0f * (float)rsr_sum_i8(xq + b * Q4_BLOCK, Q4_BLOCK);
        } else if (type == RSR_DTYPE_Q6_256) {
            // vector `lane` of a group of n: block b's inputs at b * n + lane whole blocks, its part sums alike
            uint8_t * group = q6_group_at(records, cols, batch, v);
            const uint32_t lane = v % DENSE_BATCH_VECTORS, n = rsr_min_u32(DENSE_BATCH_VECTORS, batch - (v - lane));
            int8_t * q6 = (int8_t *)group;
            int32_t * parts = q6_group_parts(group, cols);
            for (uint32_t b = 0; b < cols / Q6_BLOCK; ++b) {
                int8_t * to = q6 + ((uint64_t)b * n + lane) * Q6_BLOCK;
                for (uint32_t j = 0; j < Q6_BLOCK; ++j) to[q6_lanes ? dense_q6_order(j) : j] = xq[b * Q6_BLOCK + j];
                const uint64_t at = ((uint64_t)b * n + lane) * (Q6_BLOCK / Q6_SUB);
                for (uint32_t p = 0; p < Q6_BLOCK / Q6_SUB; ++p) {
                    const int32_t sum = rsr_sum_i8(xq + b * Q6_BLOCK + p * Q6_SUB, Q6_SUB);
                    if (q6_lanes) parts[at + p] = -32 * sum;
                    else ((int16_t *)parts)[at + p] = (int16_t)-sum;
                }
            }
        }
    }
    return RSR_OK;
}

rsr_status rsr_dense_matmul(rsr_dtype type, const void * w, uint64_t bytes, uint32_t rows, uint32_t cols,
                            const float * x, uint32_t batch, float * y, void * work, uint64_t work_bytes, rsr_pool * pool) {
    if (!x || !y) return RSR_ERR_NULL;
    rsr_status s = check_tensor(type, w, bytes, rows, cols);
    if (s != RSR_OK) return s;
    if (batch == 0) return RSR_ERR_SHAPE;
    uint64_t need;
    rsr_dense_batch_work_size(type, cols, batch, &need);
    if (need && (!work || work_bytes < need)) return work ? RSR_ERR_BUFFER : RSR_ERR_NULL;
    matmul_ctx c = { .shape = { .type = type, .w = w, .rows = rows, .cols = cols }, .x = x, .y = y, .batch = batch };
    c.fn = dense_rows_generic;
#if defined(__x86_64__)
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX512) {
        c.fn = dense_rows_avx512;
        if (batch > 1 && !integer_type(type)) c.float_batch = dense_float_batch_avx512;
        if (batch > 1 && type == RSR_DTYPE_Q6_256) c.rows_batch = dense_q6_rows_batch_avx512;
    } else if (rsr_pool_isa(pool) >= RSR_ISA_AVX2) {
        c.fn = dense_rows_avx2;
        if (batch > 1 && type == RSR_DTYPE_Q6_256) c.rows_batch = dense_q6_rows_batch_avx2;
    }
#endif
    if (integer_type(type)) {
        c.quantized = (uint8_t *)(((uintptr_t)work + RSR_ALIGN - 1) & ~(uintptr_t)(RSR_ALIGN - 1));
        // the AVX-512 Q6_256 kernel reads each block's input in its lane order, the others in the natural one
        s = quantize_inputs(type, x, batch, cols, c.quantized, c.fn == dense_rows_avx512);
        if (s != RSR_OK) return s;
    }
    const uint32_t tasks = rsr_min_u32(rows, (uint32_t)rsr_pool_n(pool) * 16);
    c.rows_per_task = rsr_div_up(rows, tasks);
    if (batch > (c.rows_batch ? DENSE_BATCH_VECTORS : 1)) {
        // tiles of at most 128 KiB of weights, so that the batch reads them from L2. A batch kernel that takes
        // every vector in one pass keeps the large tasks: each task's first rows are read before the blocks'
        // requests ahead cover them, and 128 KiB tasks made the q6 head at 8 vectors 7% slower (13.2-14.2
        // against 12.0-13.3 ms, 2 threads, from memory)
        uint64_t row_bytes;
        rsr_dense_size(type, 1, cols, &row_bytes);
        c.rows_per_task = rsr_min_u32(c.rows_per_task, (uint32_t)(128 * 1024 / row_bytes > 0 ? 128 * 1024 / row_bytes : 1));
    }
    rsr_pool_run(pool, matmul_task, &c, rsr_div_up(rows, c.rows_per_task));
    return RSR_OK;
}

rsr_status rsr_dense_matvec(rsr_dtype type, const void * w, uint64_t bytes, uint32_t rows, uint32_t cols,
                            const float * x, float * y, void * work, uint64_t work_bytes, rsr_pool * pool) {
    return rsr_dense_matmul(type, w, bytes, rows, cols, x, 1, y, work, work_bytes, pool);
}
