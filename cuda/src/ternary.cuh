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

// The arithmetic of both kernels, shared with the host check (cuda/tests/host-check.cu) so that it can be
// verified on machines without a GPU.

// acc + sum of (w + 1) x over one 16-byte packed-i2 word of a row (64 columns), given the 64 activations of
// those columns as four int4: x[k] holds columns 16k..16k+15, four per component.
__host__ __device__ __forceinline__ int i2_word_dot(uint4 packed, const int4 x[4], int acc) {
    const uint32_t word[4] = { packed.x, packed.y, packed.z, packed.w };
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        acc = dot4_i8((int)(word[k] & 0x03030303u), x[k].x, acc);
        acc = dot4_i8((int)((word[k] >> 2) & 0x03030303u), x[k].y, acc);
        acc = dot4_i8((int)((word[k] >> 4) & 0x03030303u), x[k].z, acc);
        acc = dot4_i8((int)((word[k] >> 6) & 0x03030303u), x[k].w, acc);
    }
    return acc;
}

// packed-i2 batches on Tensor Cores (mma.m16n8k32, the codes w + 1 as u8 A, the activations as s8 B): a
// row's 16-byte word is two k-steps of 32 columns. Lane l's A fragment for step h of a word, from that
// word of rows l / 4 and l / 4 + 8 of the tile: shifting 32-bit word 2h (+1) by 2 (l % 4) gives columns
// 4 (l % 4)..+3 (+16) of the step, the fragment's four bytes.
__host__ __device__ __forceinline__ void i2_a_fragment(const uint32_t top[4], const uint32_t bottom[4], uint32_t h, uint32_t lane,
                                                       uint32_t a[4]) {
    const uint32_t shift = 2 * (lane % 4);
    a[0] = top[2 * h] >> shift & 0x03030303u;
    a[1] = bottom[2 * h] >> shift & 0x03030303u;
    a[2] = top[2 * h + 1] >> shift & 0x03030303u;
    a[3] = bottom[2 * h + 1] >> shift & 0x03030303u;
}

// Lane l's B fragment for step h, from the word's 64 activations (x[16]) of vector l / 4 of the tile.
__host__ __device__ __forceinline__ void i2_b_fragment(const uint32_t x[16], uint32_t h, uint32_t lane, uint32_t b[2]) {
    b[0] = x[8 * h + lane % 4];
    b[1] = x[8 * h + 4 + lane % 4];
}

// Batches of at least this many vectors take the Tensor Core kernel.
#define I2_MMA_BATCH 16u

#define RSRT_TABLE 128u // entries per group, indexed by a code's low seven bits (0..121 used)

// Entry m of group g's table, sum_i w_i(m) x_i, for a chunk whose activations start at x and whose first
// chunk_cols columns exist.
__host__ __device__ __forceinline__ int rsrt_table_entry(uint32_t g, uint32_t m, const int8_t * x, uint32_t chunk_cols) {
    int sum = 0;
    if (m > RSRT_ZERO_CODE) return 0;
    uint32_t code = m;
#pragma unroll
    for (uint32_t i = 0; i < RSRT_GROUP; ++i) {
        const uint32_t c = g * RSRT_GROUP + i;
        if (c < chunk_cols) sum += ((int)(code % 3) - 1) * x[c];
        code /= 3;
    }
    return sum;
}

// One row's sum over a chunk: its 32 codes (in eight words) looked up in the chunk's tables.
__host__ __device__ __forceinline__ int rsrt_chunk_row(const uint32_t word[8], const int (*table)[RSRT_TABLE]) {
    int acc = 0;
#pragma unroll
    for (uint32_t g = 0; g < RSRT_CHUNK_GROUPS; ++g) {
        const uint32_t byte = (word[g / 4] >> (8 * (g % 4))) & 0xffu;
        const int t = table[g][byte & 0x7fu];
        acc += byte & 0x80u ? -t : t; // bit 7: the negated pattern
    }
    return acc;
}

// Host: bytes of the kernel's layout of a rows x cols matrix.
uint64_t ternary_layout_bytes(rsr_cuda_kernel kernel, uint32_t rows, uint32_t cols);
// Host: builds the layout of w into dst (ternary_layout_bytes bytes); RSR_CUDA_ERR_ARGUMENT on a value
// outside {-1, 0, 1}.
rsr_cuda_status ternary_layout_build(rsr_cuda_kernel kernel, const int8_t * w, uint32_t rows, uint32_t cols, uint8_t * dst);

// Uploads w in the kernel's layout.
rsr_cuda_status gpu_projection_create(rsr_cuda_kernel kernel, const int8_t * w, uint32_t rows, uint32_t cols,
                                      gpu_projection * out);
void gpu_projection_free(gpu_projection * p);

// W x (exact int32) for quantized rows x, stored or rescaled as ep says; ep.sums is needed either way by
// rsr-t, which adds its int32 sums there first.
void ternary_product(const gpu_projection & p, const gpu_quantized & x, uint32_t batch, const gpu_epilogue & ep, cudaStream_t stream);

// Times batch-1 products of both kernels on w and returns the faster (ties: packed-i2).
rsr_cuda_status ternary_pick_kernel(const int8_t * w, uint32_t rows, uint32_t cols, cudaStream_t stream,
                                    rsr_cuda_kernel * kernel);
