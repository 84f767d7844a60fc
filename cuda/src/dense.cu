// dense.cu: the embedding lookup and the output head, for every dense type a model file stores
// (F32, F16, BF16, Q8_ROW, Q4_32, Q6_256; see docs/FORMAT.md).
#include "head.cuh"
#include "ops.cuh"

#include <cuda_fp16.h>

#define Q4_BLOCK 32u
#define Q4_BLOCK_BYTES 18u

__device__ static inline float bf16_to_f32(uint16_t b) { return __uint_as_float((uint32_t)b << 16); }
__device__ static inline float f16_to_f32(uint16_t h) { return __half2float(__ushort_as_half(h)); }

// Q8_ROW: rows x cols int8, zero padding to a multiple of 64 bytes, then rows f32 scales.
__device__ static inline const float * q8_scales(const uint8_t * w, uint32_t rows, uint32_t cols) {
    return (const float *)(w + (((uint64_t)rows * cols + 63) / 64) * 64);
}

__device__ static float dense_element(rsr_cuda_dtype type, const uint8_t * w, uint32_t rows, uint32_t cols, uint32_t r, uint32_t c) {
    const uint64_t at = (uint64_t)r * cols + c;
    switch (type) {
    case RSR_CUDA_DTYPE_F32: return ((const float *)w)[at];
    case RSR_CUDA_DTYPE_F16: return f16_to_f32(((const uint16_t *)w)[at]);
    case RSR_CUDA_DTYPE_BF16: return bf16_to_f32(((const uint16_t *)w)[at]);
    case RSR_CUDA_DTYPE_Q8_ROW: return (float)(int8_t)w[at] * q8_scales(w, rows, cols)[r];
    case RSR_CUDA_DTYPE_Q4_32: {
        const uint8_t * block = w + ((uint64_t)r * (cols / Q4_BLOCK) + c / Q4_BLOCK) * Q4_BLOCK_BYTES;
        const float d = f16_to_f32((uint16_t)(block[0] | block[1] << 8));
        const uint32_t j = c % Q4_BLOCK;
        const int q = j < 16 ? (block[2 + j] & 15) : (block[2 + j - 16] >> 4);
        return (float)(q - 8) * d;
    }
    case RSR_CUDA_DTYPE_Q6_256: {
        const uint8_t * block = w + ((uint64_t)r * (cols / Q6_BLOCK) + c / Q6_BLOCK) * Q6_BLOCK_BYTES;
        const uint32_t j = c % Q6_BLOCK;
        return f16_to_f32((uint16_t)(block[0] | block[1] << 8)) * (float)((int8_t)block[2 + j / 16] * (q6_code(block, j) - 32));
    }
    }
    return 0.0f;
}

__global__ void embed_kernel(rsr_cuda_dtype type, const uint8_t * __restrict__ w, uint32_t rows, uint32_t cols,
                             const int32_t * __restrict__ tokens, float * __restrict__ out) {
    const uint32_t t = blockIdx.x, row = (uint32_t)tokens[t];
    for (uint32_t c = threadIdx.x; c < cols; c += blockDim.x) out[(uint64_t)t * cols + c] = dense_element(type, w, rows, cols, row, c);
}

void launch_embed(const rsr_cuda_tensor & type, const void * table, const int32_t * tokens, uint32_t n, float * out,
                  cudaStream_t stream) {
    embed_kernel<<<n, 256, 0, stream>>>(type.type, (const uint8_t *)table, type.rows, type.cols, tokens, out);
}

#define HEAD_WARPS 8u

// One warp per output row. The float types accumulate in f32; the integer ones multiply by x quantized to
// int8 (one scale for the vector), as the CPU head does.
__global__ void __launch_bounds__(HEAD_WARPS * 32)
head_kernel(rsr_cuda_dtype type, const uint8_t * __restrict__ w, uint32_t rows, uint32_t cols, const float * __restrict__ x,
            const int8_t * __restrict__ xq, const float * __restrict__ x_scale, float * __restrict__ y) {
    const uint32_t lane = threadIdx.x % 32, r = blockIdx.x * HEAD_WARPS + threadIdx.x / 32;
    if (r >= rows) return;
    float acc = 0.0f;
    if (type == RSR_CUDA_DTYPE_BF16 && cols % 8 == 0) {
        const uint4 * row = (const uint4 *)(w + (uint64_t)r * cols * 2);
        for (uint32_t u = lane; u < cols / 8; u += 32) {
            const uint4 p = __ldg(row + u);
            const uint32_t h[4] = { p.x, p.y, p.z, p.w };
            const float * xv = x + 8 * u;
#pragma unroll
            for (int k = 0; k < 4; ++k) {
                acc += __uint_as_float(h[k] << 16) * xv[2 * k];
                acc += __uint_as_float(h[k] & 0xffff0000u) * xv[2 * k + 1];
            }
        }
    } else if (type == RSR_CUDA_DTYPE_Q8_ROW) {
        const int8_t * row = (const int8_t *)w + (uint64_t)r * cols;
        int dot = 0;
        for (uint32_t c = lane; c < cols; c += 32) dot += row[c] * xq[c];
        for (int o = 16; o > 0; o /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, o);
        if (lane == 0) y[r] = (float)dot * q8_scales(w, rows, cols)[r] / x_scale[0];
        return;
    } else if (type == RSR_CUDA_DTYPE_Q4_32) {
        for (uint32_t b = lane; b < cols / Q4_BLOCK; b += 32) {
            const uint8_t * block = w + ((uint64_t)r * (cols / Q4_BLOCK) + b) * Q4_BLOCK_BYTES;
            const int8_t * xb = xq + b * Q4_BLOCK;
            int dot = 0, sum = 0;
            for (uint32_t j = 0; j < 16; ++j) {
                dot += (block[2 + j] & 15) * xb[j] + (block[2 + j] >> 4) * xb[j + 16];
                sum += xb[j] + xb[j + 16];
            }
            acc += f16_to_f32((uint16_t)(block[0] | block[1] << 8)) * ((float)dot - 8.0f * (float)sum);
        }
        for (int o = 16; o > 0; o /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, o);
        if (lane == 0) y[r] = acc / x_scale[0];
        return;
    } else if (type == RSR_CUDA_DTYPE_Q6_256) {
        // the warp across each block, its exact int32 sum of s * (q - 32) x times d added in lane b % 32: the
        // order of a lane per block, with every lane's loads side by side
        const uint32_t blocks = cols / Q6_BLOCK;
        const uint8_t * row = w + (uint64_t)r * blocks * Q6_BLOCK_BYTES;
        for (uint32_t b = 0; b < blocks; ++b) {
            const uint8_t * block = row + (uint64_t)b * Q6_BLOCK_BYTES;
            int sum = q6_lane_dot(block, xq + b * Q6_BLOCK, lane);
            for (int o = 16; o > 0; o /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, o);
            if (lane == b % 32) acc += f16_to_f32(*(const uint16_t *)block) * (float)sum;
        }
        for (int o = 16; o > 0; o /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, o);
        if (lane == 0) y[r] = acc / x_scale[0];
        return;
    } else {
        for (uint32_t c = lane; c < cols; c += 32) acc += dense_element(type, w, rows, cols, r, c) * x[c];
    }
    for (int o = 16; o > 0; o /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, o);
    if (lane == 0) y[r] = acc;
}

void launch_head(const rsr_cuda_tensor & type, const void * w, const float * x, const gpu_quantized & x_q, float * y,
                 cudaStream_t stream) {
    head_kernel<<<div_up(type.rows, HEAD_WARPS), HEAD_WARPS * 32, 0, stream>>>(type.type, (const uint8_t *)w, type.rows,
                                                                             type.cols, x, x_q.q, x_q.scales, y);
}
