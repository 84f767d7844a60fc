// ternary-layouts.cu: building the GPU layouts of ternary matrices on the host, and uploading them.
#include "ternary.cuh"

#include <stdlib.h>
#include <string.h>

uint64_t ternary_layout_bytes(rsr_cuda_kernel kernel, uint32_t rows, uint32_t cols) {
    if (kernel == RSR_CUDA_KERNEL_PACKED_I2) return (uint64_t)rows * div_up(cols, I2_WORD_COLS) * 16;
    return (uint64_t)div_up(cols, RSRT_CHUNK_COLS) * rows * RSRT_CHUNK_GROUPS;
}

static bool ternary_value(int8_t v) { return v >= -1 && v <= 1; }

static rsr_cuda_status build_i2(const int8_t * w, uint32_t rows, uint32_t cols, uint8_t * dst) {
    const uint32_t words = div_up(cols, I2_WORD_COLS) * 4;
    uint32_t * out = (uint32_t *)dst;
    for (uint32_t r = 0; r < rows; ++r) {
        const int8_t * row = w + (uint64_t)r * cols;
        for (uint32_t j = 0; j < words; ++j) {
            uint32_t word = 0;
            for (uint32_t i = 0; i < 4; ++i) {
                for (uint32_t b = 0; b < 4; ++b) {
                    const uint32_t c = 16 * j + 4 * i + b;
                    int8_t v = 0;
                    if (c < cols) {
                        v = row[c];
                        if (!ternary_value(v)) {
                            return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "weight (%u, %u) is %d; ternary weights are -1, 0 or 1", r, c, v);
                        }
                    }
                    word |= (uint32_t)(v + 1) << (8 * b + 2 * i);
                }
            }
            out[(uint64_t)r * words + j] = word;
        }
    }
    return RSR_CUDA_OK;
}

static rsr_cuda_status build_rsrt(const int8_t * w, uint32_t rows, uint32_t cols, uint8_t * dst) {
    const uint32_t chunks = div_up(cols, RSRT_CHUNK_COLS);
    for (uint32_t chunk = 0; chunk < chunks; ++chunk) {
        for (uint32_t r = 0; r < rows; ++r) {
            const int8_t * row = w + (uint64_t)r * cols;
            uint8_t * codes = dst + ((uint64_t)chunk * rows + r) * RSRT_CHUNK_GROUPS;
            for (uint32_t g = 0; g < RSRT_CHUNK_GROUPS; ++g) {
                uint32_t code = 0, power = 1;
                for (uint32_t i = 0; i < RSRT_GROUP; ++i, power *= 3) {
                    const uint32_t c = chunk * RSRT_CHUNK_COLS + g * RSRT_GROUP + i;
                    int8_t v = 0;
                    if (c < cols) {
                        v = row[c];
                        if (!ternary_value(v)) {
                            return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "weight (%u, %u) is %d; ternary weights are -1, 0 or 1", r, c, v);
                        }
                    }
                    code += (uint32_t)(v + 1) * power;
                }
                const uint32_t mirror = 242 - code;
                codes[g] = code > mirror ? (uint8_t)(0x80 | mirror) : (uint8_t)code;
            }
        }
    }
    return RSR_CUDA_OK;
}

rsr_cuda_status ternary_layout_build(rsr_cuda_kernel kernel, const int8_t * w, uint32_t rows, uint32_t cols, uint8_t * dst) {
    return kernel == RSR_CUDA_KERNEL_PACKED_I2 ? build_i2(w, rows, cols, dst) : build_rsrt(w, rows, cols, dst);
}

rsr_cuda_status gpu_projection_create(rsr_cuda_kernel kernel, const int8_t * w, uint32_t rows, uint32_t cols,
                                      gpu_projection * out) {
    if (kernel != RSR_CUDA_KERNEL_RSRT && kernel != RSR_CUDA_KERNEL_PACKED_I2) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "kernel %d is not a GPU layout", (int)kernel);
    }
    if (!w || rows == 0 || cols == 0 || rows > (1u << 22) || cols > (1u << 22)) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "a %ux%u projection: rows and cols must be 1 to 4194304", rows, cols);
    }
    memset(out, 0, sizeof *out);
    const uint64_t bytes = ternary_layout_bytes(kernel, rows, cols);
    uint8_t * host = (uint8_t *)malloc(bytes);
    if (!host) return rsr_cuda_fail(RSR_CUDA_ERR_OUT_OF_MEMORY, "out of host memory for a %ux%u layout", rows, cols);
    rsr_cuda_status s = ternary_layout_build(kernel, w, rows, cols, host);
    if (s == RSR_CUDA_OK) {
        cudaError_t e = cudaMalloc(&out->weights, bytes);
        if (e == cudaSuccess) e = cudaMemcpy(out->weights, host, bytes, cudaMemcpyHostToDevice);
        // the copy may still be in flight on the default stream when it returns; host is freed next
        if (e == cudaSuccess) e = cudaDeviceSynchronize();
        if (e != cudaSuccess) {
            cudaFree(out->weights);
            out->weights = nullptr;
            s = rsr_cuda_fail_cuda(e, "uploading a projection");
        }
    }
    free(host);
    if (s != RSR_CUDA_OK) return s;
    out->kernel = kernel;
    out->rows = rows;
    out->cols = cols;
    out->bytes = bytes;
    return RSR_CUDA_OK;
}

void gpu_projection_free(gpu_projection * p) {
    if (p && p->weights) cudaFree(p->weights);
    if (p) p->weights = nullptr;
}
