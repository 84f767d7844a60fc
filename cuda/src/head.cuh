// head.cuh: reading Q6_256 blocks, value by value (the embedding lookup) and lane by lane (the output head),
// shared with the host check (cuda/tests/host-check.cu).
#pragma once

#include "common.cuh"

#define Q6_BLOCK 256u
#define Q6_BLOCK_BYTES 210u

// Value j of a block as its code 0..63 (w = d * s[j / 16] * (code - 32)), read as docs/FORMAT.md lays it out.
__host__ __device__ __forceinline__ int q6_code(const uint8_t * block, uint32_t j) {
    return (block[18 + j % 128] >> (4 * (j / 128)) & 15) | (block[146 + j % 64] >> (2 * (j / 64)) & 3) << 4;
}

// Four bytes from a 2-byte aligned address (Q6_256 blocks are 210 bytes, so only halves line up).
__host__ __device__ __forceinline__ uint32_t load_halves(const uint8_t * p) {
    const uint16_t * h = (const uint16_t *)p;
    return (uint32_t)h[0] | (uint32_t)h[1] << 16;
}

// Lane l's share of a Q6_256 block's exact sum of s * (q - 32) x: values 8l..8l+7, whose low nibbles are
// bytes 18 + 8 (l % 16).. shifted by 4 (l / 16), high bits bytes 146 + 8 (l % 8).. shifted by 2 (l / 8),
// and scale byte 2 + l / 2 (a 16-value sub-block is two lanes). xb: the block's 256 int8 inputs, 4-aligned.
__host__ __device__ __forceinline__ int q6_lane_dot(const uint8_t * block, const int8_t * xb, uint32_t lane) {
    const uint8_t * low = block + 18 + 8 * (lane % 16), * high = block + 146 + 8 * (lane % 8);
    const uint32_t low_shift = 4 * (lane / 16), high_shift = 2 * (lane / 8);
    int dot = 0, sum = 0;
#pragma unroll
    for (uint32_t half = 0; half < 2; ++half) {
        const uint32_t codes = (load_halves(low + 4 * half) >> low_shift & 0x0f0f0f0fu) |
                               (load_halves(high + 4 * half) >> high_shift & 0x03030303u) << 4;
        const int x = *(const int *)(xb + 8 * lane + 4 * half);
        dot = dot4_i8((int)codes, x, dot); // codes 0..63: the same as signed bytes
        sum = dot4_i8(0x01010101, x, sum);
    }
    return (int8_t)block[2 + lane / 2] * (dot - 32 * sum);
}
