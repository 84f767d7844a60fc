// ternary-kernels.cu: the products of int8 activations with ternary matrices in the GPU layouts
// (ternary.cuh). Both give the exact int32 W x.
#include "ops.cuh"
#include "ternary.cuh"


// ---- packed-i2: one warp per row, dp4a on decoded codes ----------------------------------------------

#define I2_WARPS 4u

// Vectors per pass share each weight load.
template <int NB>
__global__ void __launch_bounds__(I2_WARPS * 32)
i2_product(const uint4 * __restrict__ w, uint32_t rows, uint32_t words, const int8_t * __restrict__ xq, uint32_t stride,
           const int32_t * __restrict__ sums, uint32_t batch, const gpu_epilogue ep) {
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
        if (lane == 0 && v < (int)nb) epilogue_store(ep, rows, b0 + v, row, s - sums[b0 + v]);
    }
}

// ---- packed-i2 batches: Tensor Cores, 64 rows x 32 vectors per block --------------------------------------

#define I2_MMA_WARPS 4u // 16 rows each
#define I2_MMA_ROWS (16u * I2_MMA_WARPS)
#define I2_MMA_TILES 4u // of 8 vectors
#define I2_MMA_VECTORS (8u * I2_MMA_TILES)
#define I2_MMA_X_WORDS 20u // a vector's 64 bytes and 16 of padding: a fragment's eight vectors hit distinct banks

// Word by word, the block stages its rows' words and its vectors' 64 activations in shared memory, loading
// the next word's while its warps multiply this one's.
__global__ void __launch_bounds__(I2_MMA_WARPS * 32)
i2_product_mma(const uint4 * __restrict__ w, uint32_t rows, uint32_t words, const int8_t * __restrict__ xq, uint32_t stride,
               const int32_t * __restrict__ sums, uint32_t batch, const gpu_epilogue ep) {
    __shared__ uint4 w_tile[I2_MMA_ROWS];
    __shared__ __align__(16) uint32_t x_tile[I2_MMA_VECTORS][I2_MMA_X_WORDS];
    const uint32_t lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const uint32_t r0 = blockIdx.x * I2_MMA_ROWS, v0 = blockIdx.y * I2_MMA_VECTORS;
    // each thread loads a quarter of one vector's word, the first 64 one row's word too
    const uint32_t load_row = r0 + threadIdx.x, load_vector = threadIdx.x / 4, load_part = threadIdx.x % 4;
    const bool has_row = threadIdx.x < I2_MMA_ROWS && load_row < rows, has_vector = v0 + load_vector < batch;
    const uint4 * w_src = w + (uint64_t)load_row * words;
    const int4 * x_src = (const int4 *)(xq + (uint64_t)(v0 + load_vector) * stride) + load_part;
    uint4 w_next = has_row ? __ldg(w_src) : make_uint4(0, 0, 0, 0);
    int4 x_next = has_vector ? __ldg(x_src) : make_int4(0, 0, 0, 0);
    int32_t acc[I2_MMA_TILES][4] = {};
    for (uint32_t u = 0; u < words; ++u) {
        if (threadIdx.x < I2_MMA_ROWS) w_tile[threadIdx.x] = w_next;
        *(int4 *)&x_tile[load_vector][4 * load_part] = x_next;
        __syncthreads();
        if (u + 1 < words) {
            if (has_row) w_next = __ldg(w_src + u + 1);
            if (has_vector) x_next = __ldg(x_src + 4 * (u + 1));
        }
        const uint32_t * top = (const uint32_t *)&w_tile[warp * 16 + lane / 4];
        const uint32_t * bottom = (const uint32_t *)&w_tile[warp * 16 + lane / 4 + 8];
#pragma unroll
        for (uint32_t h = 0; h < 2; ++h) {
            uint32_t a[4];
            i2_a_fragment(top, bottom, h, lane, a);
#pragma unroll
            for (uint32_t n = 0; n < I2_MMA_TILES; ++n) {
                uint32_t b[2];
                i2_b_fragment(x_tile[8 * n + lane / 4], h, lane, b);
                mma_u8s8(acc[n], a, b);
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (uint32_t n = 0; n < I2_MMA_TILES; ++n) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            const uint32_t row = r0 + warp * 16 + mma_c_row(lane, e), v = v0 + 8 * n + mma_c_col(lane, e);
            // the codes are w + 1: subtract sum(x) once
            if (row < rows && v < batch) epilogue_store(ep, rows, v, row, acc[n][e] - sums[v]);
        }
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

void ternary_product(const gpu_projection & p, const gpu_quantized & x, uint32_t batch, const gpu_epilogue & ep, cudaStream_t stream) {
    if (p.kernel == RSR_CUDA_KERNEL_PACKED_I2) {
        const uint32_t words = div_up(p.cols, I2_WORD_COLS);
        const uint32_t blocks = div_up(p.rows, I2_WARPS);
        if (batch >= I2_MMA_BATCH) {
            i2_product_mma<<<dim3(div_up(p.rows, I2_MMA_ROWS), div_up(batch, I2_MMA_VECTORS)), I2_MMA_WARPS * 32, 0, stream>>>(
                (const uint4 *)p.weights, p.rows, words, x.q, x.stride, x.sums, batch, ep);
        } else if (batch == 1) {
            i2_product<1><<<dim3(blocks, 1), I2_WARPS * 32, 0, stream>>>((const uint4 *)p.weights, p.rows, words, x.q,
                                                                        x.stride, x.sums, batch, ep);
        } else {
            i2_product<8><<<dim3(blocks, div_up(batch, 8)), I2_WARPS * 32, 0, stream>>>((const uint4 *)p.weights, p.rows, words,
                                                                                       x.q, x.stride, x.sums, batch, ep);
        }
        return;
    }
    // rsr-t adds chunks' sums atomically, so the int32 sums are complete only after the launch
    cudaMemsetAsync(ep.sums, 0, (size_t)batch * p.rows * sizeof(int32_t), stream);
    const dim3 grid(div_up(p.cols, RSRT_CHUNK_COLS), div_up(p.rows, RSRT_THREADS * RSRT_ROWS_PER_THREAD), batch);
    rsrt_product<<<grid, RSRT_THREADS, 0, stream>>>((const uint8_t *)p.weights, p.rows, p.cols, x.q, x.stride, ep.sums);
    if (ep.out) launch_rescale(ep, batch, p.rows, stream);
}
