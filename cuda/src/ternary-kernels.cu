// ternary-kernels.cu: the products of int8 activations with ternary matrices in the GPU layouts
// (ternary.cuh). Both give the exact int32 W x.
#include "ternary.cuh"


// ---- packed-i2: one warp per row, dp4a on decoded codes ----------------------------------------------

#define I2_WARPS 4u

// Vectors per pass share each weight load.
template <int NB>
__global__ void __launch_bounds__(I2_WARPS * 32)
i2_product(const uint4 * __restrict__ w, uint32_t rows, uint32_t words, const int8_t * __restrict__ xq, uint32_t stride,
           const int32_t * __restrict__ sums, uint32_t batch, int32_t * __restrict__ y) {
    const uint32_t lane = threadIdx.x % 32, row = blockIdx.x * I2_WARPS + threadIdx.x / 32;
    if (row >= rows) return;
    const uint32_t b0 = blockIdx.y * NB, nb = min((uint32_t)NB, batch - b0);
    const uint4 * wr = w + (uint64_t)row * words;
    int acc[NB];
#pragma unroll
    for (int v = 0; v < NB; ++v) acc[v] = 0;
    for (uint32_t u = lane; u < words; u += 32) {
        const uint4 packed = __ldg(wr + u);
#pragma unroll
        for (int v = 0; v < NB; ++v) {
            if (v >= (int)nb) break;
            const int4 * xv = (const int4 *)(xq + (uint64_t)(b0 + v) * stride) + 4 * u;
            const int4 x[4] = { __ldg(xv), __ldg(xv + 1), __ldg(xv + 2), __ldg(xv + 3) };
            acc[v] = i2_word_dot(packed, x, acc[v]);
        }
    }
#pragma unroll
    for (int v = 0; v < NB; ++v) {
        int s = acc[v];
        for (int offset = 16; offset > 0; offset /= 2) s += __shfl_xor_sync(0xffffffffu, s, offset);
        // the codes are w + 1: subtract sum(x) once
        if (lane == 0 && v < (int)nb) y[(uint64_t)(b0 + v) * rows + row] = s - sums[b0 + v];
    }
}

// ---- rsr-t: per block, one chunk of 32 groups; tables of pattern sums in shared memory ----------------

#define RSRT_THREADS 256u
#define RSRT_ROWS_PER_THREAD 2u

__global__ void __launch_bounds__(RSRT_THREADS)
rsrt_product(const uint8_t * __restrict__ codes, uint32_t rows, uint32_t cols, const int8_t * __restrict__ xq,
             uint32_t stride, int32_t * __restrict__ y) {
    __shared__ int table[RSRT_CHUNK_GROUPS][RSRT_TABLE];
    const uint32_t chunk = blockIdx.x, b = blockIdx.z;
    const uint32_t first_col = chunk * RSRT_CHUNK_COLS, chunk_cols = min(RSRT_CHUNK_COLS, cols - first_col);
    const int8_t * x = xq + (uint64_t)b * stride + first_col;
    // T_g[m] = sum_i w_i(m) x_i: each distinct pattern of a group is summed once, for every row that has it
    for (uint32_t e = threadIdx.x; e < RSRT_CHUNK_GROUPS * RSRT_TABLE; e += RSRT_THREADS) {
        table[e / RSRT_TABLE][e % RSRT_TABLE] = rsrt_table_entry(e / RSRT_TABLE, e % RSRT_TABLE, x, chunk_cols);
    }
    __syncthreads();
#pragma unroll
    for (uint32_t k = 0; k < RSRT_ROWS_PER_THREAD; ++k) {
        const uint32_t row = (blockIdx.y * RSRT_ROWS_PER_THREAD + k) * RSRT_THREADS + threadIdx.x;
        if (row >= rows) break;
        const uint4 * p = (const uint4 *)(codes + ((uint64_t)chunk * rows + row) * RSRT_CHUNK_GROUPS);
        const uint4 lo = __ldg(p), hi = __ldg(p + 1);
        const uint32_t word[8] = { lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w };
        const int acc = rsrt_chunk_row(word, table);
        atomicAdd(y + (uint64_t)b * rows + row, acc);
    }
}

void ternary_product(const gpu_projection & p, const gpu_quantized & x, uint32_t batch, int32_t * y, cudaStream_t stream) {
    if (p.kernel == RSR_CUDA_KERNEL_PACKED_I2) {
        const uint32_t words = div_up(p.cols, I2_WORD_COLS);
        const uint32_t blocks = div_up(p.rows, I2_WARPS);
        if (batch == 1) {
            i2_product<1><<<dim3(blocks, 1), I2_WARPS * 32, 0, stream>>>((const uint4 *)p.weights, p.rows, words, x.q,
                                                                        x.stride, x.sums, batch, y);
        } else {
            i2_product<8><<<dim3(blocks, div_up(batch, 8)), I2_WARPS * 32, 0, stream>>>((const uint4 *)p.weights, p.rows, words,
                                                                                       x.q, x.stride, x.sums, batch, y);
        }
        return;
    }
    cudaMemsetAsync(y, 0, (size_t)batch * p.rows * sizeof(int32_t), stream);
    const dim3 grid(div_up(p.cols, RSRT_CHUNK_COLS), div_up(p.rows, RSRT_THREADS * RSRT_ROWS_PER_THREAD), batch);
    rsrt_product<<<grid, RSRT_THREADS, 0, stream>>>((const uint8_t *)p.weights, p.rows, p.cols, x.q, x.stride, y);
}
