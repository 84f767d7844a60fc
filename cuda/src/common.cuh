// common.cuh: error reporting, device buffers and the structures shared by the backend's files.
#pragma once

#include "rsr_cuda.h"

#include <cuda_runtime.h>
#include <stdint.h>

// Records a message for rsr_cuda_last_error() and returns status.
rsr_cuda_status rsr_cuda_fail(rsr_cuda_status status, const char * format, ...) __attribute__((format(printf, 2, 3)));
// Maps a CUDA runtime error to a status and message naming what was being done.
rsr_cuda_status rsr_cuda_fail_cuda(cudaError_t error, const char * doing);
void rsr_cuda_clear_error(void);

#define CUDA_TRY(call, doing)                                          \
    do {                                                               \
        const cudaError_t e_ = (call);                                 \
        if (e_ != cudaSuccess) return rsr_cuda_fail_cuda(e_, doing);   \
    } while (0)

#define RSR_TRY(call)                                                  \
    do {                                                               \
        const rsr_cuda_status s_ = (call);                             \
        if (s_ != RSR_CUDA_OK) return s_;                              \
    } while (0)

__host__ __device__ static inline uint32_t div_up(uint32_t a, uint32_t b) { return (a + b - 1) / b; }
__host__ __device__ static inline uint64_t align_up(uint64_t n, uint64_t to) { return (n + to - 1) / to * to; }

struct rsr_cuda_context {
    int device;
    cudaStream_t stream;
    cudaDeviceProp prop;
};

// A ternary projection in one of the GPU layouts (ternary-layouts.cu).
struct gpu_projection {
    rsr_cuda_kernel kernel;
    uint32_t rows, cols;
    void * weights;      // device
    uint64_t bytes;
};

// Activations of a projection's input: int8 rows padded with zeros to a multiple of 64 columns, each row's
// quantization scale and the sum of its int8 values (the packed kernel multiplies by w + 1).
struct gpu_quantized {
    int8_t * q;
    float * scales;
    int32_t * sums;
    uint32_t stride; // bytes per row
};

__host__ __device__ static inline uint32_t quantized_stride(uint32_t cols) { return (uint32_t)align_up(cols, 64); }

// A projection's exact int32 sum rescaled to a float in transformers' order: AutoBitLinear (x / s, then
// * weight_scale), BitLinear (/ (weight_scale * s)).
__host__ __device__ __forceinline__ float rescale_product(int32_t acc, float s, float scale, int divide) {
    return divide ? (float)acc / (scale * s) : (float)acc / s * scale;
}

// What a product does with its exact int32 sums y[vector][row]: stores them in `sums` (out NULL), or
// rescales them (by the vector's activation scale, the projection's scale, plus the bias) into the floats
// `out`, added to what out holds when accumulate. Rescaling in the product saves a launch per projection.
struct gpu_epilogue {
    int32_t * sums;
    float * out;
    const float * scales; // per vector
    float scale;
    int divide;
    const float * bias;   // rows, or NULL
    int accumulate;
};

#ifdef __CUDACC__
__device__ __forceinline__ void epilogue_store(const gpu_epilogue & ep, uint32_t rows, uint32_t vector, uint32_t row, int32_t acc) {
    const uint64_t at = (uint64_t)vector * rows + row;
    if (!ep.out) {
        ep.sums[at] = acc;
        return;
    }
    float v = rescale_product(acc, ep.scales[vector], ep.scale, ep.divide);
    if (ep.bias) v += ep.bias[row];
    ep.out[at] = ep.accumulate ? ep.out[at] + v : v;
}
#endif

// Four int8 products of a and b added to c: dp4a on the GPU.
__host__ __device__ __forceinline__ int dot4_i8(int a, int b, int c) {
#ifdef __CUDA_ARCH__
    return __dp4a(a, b, c);
#else
    for (int i = 0; i < 4; ++i) c += (int8_t)(a >> 8 * i) * (int8_t)(b >> 8 * i);
    return c;
#endif
}

// ---- tensor cores: mma.m16n8k32 with u8 A (16 x 32, rows) and s8 B (32 x 8, columns), s32 accumulators ----
// Lane l holds A[l / 4 (+ 8)][4 (l % 4) (+ 16) ..] in a[0..3] (rows +0, +8, +0, +8; columns +0, +0, +16,
// +16), B[4 (l % 4) (+ 16) ..][l / 4] in b[0..1], and C element e at the row and column below.

__host__ __device__ __forceinline__ uint32_t mma_c_row(uint32_t lane, int e) { return lane / 4 + 8 * (e >> 1); }
__host__ __device__ __forceinline__ uint32_t mma_c_col(uint32_t lane, int e) { return 2 * (lane % 4) + (e & 1); }

#ifdef __CUDACC__
__device__ __forceinline__ void mma_u8s8(int32_t c[4], const uint32_t a[4], const uint32_t b[2]) {
#if __CUDA_ARCH__ >= 800
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.u8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                 : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
    __trap(); // built for sm_80 and later only
#endif
}
#endif
