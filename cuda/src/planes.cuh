// planes.cuh: integer weights as bipolar bit-planes on the GPU, and their products.
//
// An n-bit code u = sum_i 2^i b_i is n planes of +-1 (2 b_i - 1); the CPU layout's arithmetic (rsr.h,
// "Integer weights as bit-planes") holds here too. Per scale group g, a row's planes give the exact
//     Q = sum_i 2^i P_i = sum_c (2 u_c - (2^n - 1)) x_c,       P_i = sum_c (2 b_ic - 1) x_c,
// and the fold adds (2^n - 1 - 2 z) sum_c x_c, halves, and applies the group scales in group order with
// one fmaf each, as the CPU kernels do, so both backends give the same floats.
//
// Layout: columns (in stored order) in table groups of 8, table groups in chunks of 32 (256 columns);
// chunk-major, then row-major: [chunk][row][32 table groups][n planes], one byte per (table group, plane)
// whose bit j is b of column 8t + j. A row's share of a chunk is 32 n bytes, read as 4 n 8-byte words.
//
// Two kernels, both exact:
//   lookup (decode): per block, one chunk's tables of the 256 +-1 patterns of each table group's 8 inputs
//     in shared memory (RSR's binary case, shared by every plane of every row), then each row adds up
//     its planes' entries;
//   mma (batches): a warp unpacks the planes of 16 rows into u8 codes in registers and multiplies them with
//     the int8 inputs on Tensor Cores (mma.m16n8k32, u8 x s8).
#pragma once

#include "common.cuh"

#define PLANES_TABLE_COLS 8u   // columns per table group
#define PLANES_CHUNK_TABLES 32u
#define PLANES_CHUNK_COLS (PLANES_TABLE_COLS * PLANES_CHUNK_TABLES)
#define PLANES_PATTERNS 256u
#define PLANES_MAX_BITS 8u

// An integer projection on the GPU (planes-layouts.cu).
struct gpu_planes {
    uint32_t rows, cols, bits, group, n_groups;
    uint8_t * codes;   // device, the layout above
    float * scales;    // device [rows][n_groups]
    uint8_t * zeros;   // device [rows][n_groups], or NULL: 2^(bits-1)
    uint32_t * perm;   // device [cols], or NULL
    uint64_t bytes;    // what one product reads: codes, scales, zero points
};

// Device scratch of a product of up to `batch` vectors (planes_scratch_bytes).
struct gpu_planes_scratch {
    int8_t * x;        // [batch][stride] the input in stored column order (permuted layouts only)
    int32_t * x_sums;  // [batch][n_groups]
    int32_t * q;       // [batch][rows][n_groups]
};

// ---- arithmetic shared with the host check (cuda/tests/host-check.cu) ------------------------------------

__host__ __device__ __forceinline__ uint32_t planes_chunks(uint32_t cols) { return div_up(cols, PLANES_CHUNK_COLS); }
__host__ __device__ __forceinline__ uint32_t planes_row_bytes(uint32_t bits) { return PLANES_CHUNK_TABLES * bits; }

// Entry p of the table of the 8 inputs x[0..valid): sum_j (2 p_j - 1) x_j.
__host__ __device__ __forceinline__ int planes_table_entry(uint32_t p, const int8_t * x, uint32_t valid) {
    int sum = 0;
#pragma unroll
    for (uint32_t j = 0; j < PLANES_TABLE_COLS; ++j) {
        if (j < valid) sum += (p >> j & 1u) ? x[j] : -x[j];
    }
    return sum;
}

// Where a row's per-group sums go: atomic adds on the GPU (a group may span chunks, and integer adds are
// exact in any order), plain adds in the host check.
struct planes_q_sink {
    int32_t * q; // the row's n_groups sums
    __host__ __device__ __forceinline__ void operator()(uint32_t g, int v) const {
#ifdef __CUDA_ARCH__
        atomicAdd(q + g, v);
#else
        q[g] += v;
#endif
    }
};

// A row's Q over the `count` table groups of a chunk whose first column is `first`, given the chunk's
// tables and the row's 32 * BITS bytes; each scale group's part goes to the sink. Eight table groups at a
// time (BITS 8-byte words), so that few registers hold codes.
template <int BITS>
__host__ __device__ __forceinline__ void planes_row_chunk(const uint8_t * bytes, uint32_t first, uint32_t count, uint32_t group,
                                                          const int (*table)[PLANES_PATTERNS], planes_q_sink sink) {
    uint32_t g = first / group, next = (g + 1) * group; // the column where the next scale group starts
    int q = 0;
    for (uint32_t eighth = 0; eighth * 8 < count; ++eighth) {
        uint2 w[BITS];
#pragma unroll
        for (int k = 0; k < BITS; ++k) {
#ifdef __CUDA_ARCH__
            w[k] = __ldg((const uint2 *)bytes + eighth * BITS + k);
#else
            memcpy(&w[k], bytes + 8 * (eighth * BITS + k), 8);
#endif
        }
#pragma unroll
        for (uint32_t t = 0; t < 8; ++t) {
            const uint32_t tg = eighth * 8 + t;
            if (tg >= count) break;
            if (first + tg * PLANES_TABLE_COLS >= next) {
                sink(g, q);
                q = 0;
                ++g;
                next += group;
            }
#pragma unroll
            for (uint32_t i = 0; i < (uint32_t)BITS; ++i) {
                const uint32_t k = t * BITS + i, word = k / 4 % 2 ? w[k / 8].y : w[k / 8].x;
                q += table[tg][word >> 8 * (k % 4) & 0xffu] * (1 << i);
            }
        }
    }
    sink(g, q);
}

// Four u8 codes of one row, columns 4h..4h+3 of table group bytes `plane_bytes` (one byte per plane):
// each plane's nibble spread to one bit per byte, then shifted to its weight.
template <int BITS>
__host__ __device__ __forceinline__ uint32_t planes_codes4(const uint8_t * plane_bytes, uint32_t h) {
    uint32_t u = 0;
#pragma unroll
    for (int i = 0; i < BITS; ++i) {
        const uint32_t nibble = plane_bytes[i] >> (4 * h) & 0xfu;
        u |= ((nibble * 0x00204081u) & 0x01010101u) << i;
    }
    return u;
}

// mma.sync.aligned.m16n8k32.row.col.s32.u8.s8.s32 (PTX ISA, "Matrix Fragments for mma.m16n8k32"), with
// g = lane / 4 and t = lane % 4:
//   A 16x32: a0 row g, k 4t..4t+3 | a1 row g+8, k 4t.. | a2 row g, k 16+4t.. | a3 row g+8, k 16+4t..
//   B 32x8:  b0 column g, k 4t..4t+3 | b1 column g, k 16+4t..
//   C 16x8:  c0, c1 row g, columns 2t, 2t+1 | c2, c3 row g+8, columns 2t, 2t+1
// The k-slice of 32 columns starting at table group s covers table groups s..s+3; lane t's four columns
// 4t..4t+3 are half t % 2 of table group s + t / 2, and 16 + 4t.. the same half of s + 2 + t / 2.

// Lane's A fragment: rows r0 + g and r0 + g + 8 of the slice at table group s; table groups at or past
// t_end (the scale group's end) and rows past `rows` are zero.
template <int BITS>
__host__ __device__ __forceinline__ void planes_a_fragment(const uint8_t * codes, uint32_t rows, uint32_t r0, uint32_t s,
                                                           uint32_t t_end, uint32_t lane, uint32_t a[4]) {
    const uint32_t g = lane / 4, t = lane % 4;
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        const uint32_t row = r0 + g + 8 * (k & 1), tg = s + 2 * (k >> 1) + t / 2;
        a[k] = 0;
        if (row < rows && tg < t_end) {
            const uint32_t chunk = tg / PLANES_CHUNK_TABLES, local = tg % PLANES_CHUNK_TABLES;
            const uint8_t * bytes = codes + ((uint64_t)chunk * rows + row) * planes_row_bytes(BITS) + local * BITS;
            a[k] = planes_codes4<BITS>(bytes, t % 2);
        }
    }
}

// Lane's B fragment: vector v0 + g of x ([batch][stride], stored column order) at the slice of table
// group s, zero past t_end or the batch.
__host__ __device__ __forceinline__ void planes_b_fragment(const int8_t * x, uint32_t stride, uint32_t batch, uint32_t v0,
                                                           uint32_t s, uint32_t t_end, uint32_t lane, uint32_t b[2]) {
    const uint32_t g = lane / 4, t = lane % 4, v = v0 + g;
#pragma unroll
    for (int k = 0; k < 2; ++k) {
        const uint32_t tg = s + 2 * k + t / 2;
        b[k] = 0;
        if (v < batch && tg < t_end) {
            const uint8_t * p = (const uint8_t *)x + (uint64_t)v * stride + tg * PLANES_TABLE_COLS + 4 * (t % 2);
            b[k] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        }
    }
}

// One row's output: the groups' Q with the zero-point term, halved, times the scales, summed in group order.
__host__ __device__ __forceinline__ float planes_fold(const int32_t * q, const int32_t * x_sums, const float * scales,
                                                      const uint8_t * zeros, uint32_t bits, uint32_t n_groups) {
    const int max = (1 << bits) - 1;
    float y = 0.0f;
    for (uint32_t g = 0; g < n_groups; ++g) {
        const int z = zeros ? zeros[g] : 1 << (bits - 1);
        const int sum = q[g] + (max - 2 * z) * x_sums[g]; // 2 sum (u - z) x: even
        y = fmaf(scales[g], (float)(sum / 2), y);
    }
    return y;
}

// ---- host ----------------------------------------------------------------------------------------------

// Bytes of the codes of a rows x cols layout of `bits` planes.
uint64_t planes_codes_bytes(uint32_t rows, uint32_t cols, uint32_t bits);
// Checks w and builds its codes into dst (planes_codes_bytes); RSR_CUDA_ERR_ARGUMENT naming what is wrong.
rsr_cuda_status planes_codes_build(const rsr_cuda_integer * w, uint32_t rows, uint32_t cols, uint8_t * dst);
// Checks w (bits, group, sizes, zero points, permutation) without building anything.
rsr_cuda_status planes_check(const rsr_cuda_integer * w, uint32_t rows, uint32_t cols);

rsr_cuda_status gpu_planes_create(const rsr_cuda_integer * w, uint32_t rows, uint32_t cols, gpu_planes * out);
void gpu_planes_free(gpu_planes * p);
// Device bytes of the scratch of products of up to `batch` vectors.
uint64_t planes_scratch_bytes(const gpu_planes & p, uint32_t batch);
// Carves the scratch out of `base` (planes_scratch_bytes).
gpu_planes_scratch planes_scratch_at(const gpu_planes & p, uint32_t batch, void * base);

// y[b][r] (= or +=) (W x_b)[r] / x_scales[b] + bias[r] for int8 rows x (x_scales or bias may be NULL: 1, 0).
// The lookup kernel for fewer than PLANES_MMA_BATCH vectors, the mma kernel from there.
#define PLANES_MMA_BATCH 8u
void planes_product(const gpu_planes & p, const gpu_quantized & x, uint32_t batch, const gpu_planes_scratch & scratch,
                    const float * x_scales, const float * bias, float * y, bool accumulate, cudaStream_t stream);
