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
