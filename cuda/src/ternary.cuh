// ternary.cuh: the GPU layouts of ternary projections and their products.
//
// packed-i2: per row, ceil(cols / 64) 16-byte words; 32-bit word j of a row covers columns 16j..16j+15 and
// holds the code w + 1 of column 16j + 4i + b at bits 8b + 2i. Shifting a word right by 2i and masking with
// 0x03030303 gives the codes of four consecutive columns in four bytes: one dp4a operand.
//
// rsr-t: columns in groups of 5, a group's pattern c = sum_i (w_i + 1) 3^i stored in one byte as the CPU
// layout does (min(c, 242 - c) in seven bits, bit 7 when c is the negated one). Groups are cut into chunks
// of 32 (160 columns); chunk-major, row-major within a chunk: [chunk][row][32 bytes], so the 32 codes a
// thread needs for one row are two 16-byte loads and a warp reads 1 KiB in one stream.
#pragma once

#include "common.cuh"

#define I2_WORD_COLS 64u
#define RSRT_GROUP 5u
#define RSRT_CHUNK_GROUPS 32u
#define RSRT_CHUNK_COLS (RSRT_GROUP * RSRT_CHUNK_GROUPS)
#define RSRT_ZERO_CODE 121u // all five weights zero

// Host: bytes of the kernel's layout of a rows x cols matrix.
uint64_t ternary_layout_bytes(rsr_cuda_kernel kernel, uint32_t rows, uint32_t cols);
// Host: builds the layout of w into dst (ternary_layout_bytes bytes); RSR_CUDA_ERR_ARGUMENT on a value
// outside {-1, 0, 1}.
rsr_cuda_status ternary_layout_build(rsr_cuda_kernel kernel, const int8_t * w, uint32_t rows, uint32_t cols, uint8_t * dst);

// Uploads w in the kernel's layout.
rsr_cuda_status gpu_projection_create(rsr_cuda_kernel kernel, const int8_t * w, uint32_t rows, uint32_t cols,
                                      gpu_projection * out);
void gpu_projection_free(gpu_projection * p);

// y[batch][rows] = W x (exact int32) for quantized rows x.
void ternary_product(const gpu_projection & p, const gpu_quantized & x, uint32_t batch, int32_t * y, cudaStream_t stream);

// Times batch-1 products of both kernels on w and returns the faster (ties: packed-i2).
rsr_cuda_status ternary_pick_kernel(const int8_t * w, uint32_t rows, uint32_t cols, cudaStream_t stream,
                                    rsr_cuda_kernel * kernel);
