// planes-kernels.cu: products of int8 activations with integer weights in the bit-plane layout (planes.cuh):
// the input in stored column order and its group sums, each row's exact per-group Q (lookup or mma kernel),
// then the fold into floats.
#include "planes.cuh"

// ---- input: permuted copy and group sums ------------------------------------------------------------------

// out[b][c] = x[b][perm[c]], rows of out_stride bytes padded with zeros.
__global__ void planes_gather(const int8_t * __restrict__ x, uint32_t stride, const uint32_t * __restrict__ perm, uint32_t cols,
                              int8_t * __restrict__ out, uint32_t out_stride) {
    const uint32_t b = blockIdx.y;
    for (uint32_t c = blockIdx.x * blockDim.x + threadIdx.x; c < out_stride; c += gridDim.x * blockDim.x) {
        out[(uint64_t)b * out_stride + c] = c < cols ? x[(uint64_t)b * stride + perm[c]] : 0;
    }
}

// One warp per (group, vector).
__global__ void planes_group_sums(const int8_t * __restrict__ x, uint32_t stride, uint32_t cols, uint32_t group,
                                  uint32_t n_groups, int32_t * __restrict__ sums) {
    const uint32_t g = blockIdx.x, b = blockIdx.y, lane = threadIdx.x;
    const uint32_t end = min(cols, (g + 1) * group);
    int s = 0;
    for (uint32_t c = g * group + lane; c < end; c += 32) s += x[(uint64_t)b * stride + c];
    for (int offset = 16; offset > 0; offset /= 2) s += __shfl_xor_sync(0xffffffffu, s, offset);
    if (lane == 0) sums[(uint64_t)b * n_groups + g] = s;
}

// ---- lookup: per block, one chunk's tables in shared memory; one row per thread ----------------------------

#define LOOKUP_THREADS 256u

template <int BITS>
__global__ void __launch_bounds__(LOOKUP_THREADS)
planes_lookup(const uint8_t * __restrict__ codes, uint32_t rows, uint32_t cols, uint32_t group, uint32_t n_groups,
              const int8_t * __restrict__ x, uint32_t stride, int32_t * __restrict__ q) {
    __shared__ int table[PLANES_CHUNK_TABLES][PLANES_PATTERNS];
    const uint32_t chunk = blockIdx.x, b = blockIdx.z;
    const uint32_t first = chunk * PLANES_CHUNK_COLS, count = min(PLANES_CHUNK_TABLES, div_up(cols - first, PLANES_TABLE_COLS));
    const int8_t * xs = x + (uint64_t)b * stride + first;
    // every pattern of every table group summed once, for all planes of all rows
    for (uint32_t e = threadIdx.x; e < PLANES_CHUNK_TABLES * PLANES_PATTERNS; e += LOOKUP_THREADS) {
        const uint32_t t = e / PLANES_PATTERNS, c = t * PLANES_TABLE_COLS;
        const uint32_t valid = first + c < cols ? min(PLANES_TABLE_COLS, cols - first - c) : 0;
        table[t][e % PLANES_PATTERNS] = planes_table_entry(e % PLANES_PATTERNS, xs + c, valid);
    }
    __syncthreads();
    const uint32_t row = blockIdx.y * LOOKUP_THREADS + threadIdx.x;
    if (row >= rows) return;
    planes_row_chunk<BITS>(codes + ((uint64_t)chunk * rows + row) * planes_row_bytes(BITS), first, count, group, table,
                           planes_q_sink{ q + ((uint64_t)b * rows + row) * n_groups });
}

// ---- mma: a warp multiplies 16 rows by 8 * MMA_TILES vectors, scale group by scale group ------------------

#define MMA_WARPS 4u
#define MMA_TILES 4

template <int BITS>
__global__ void __launch_bounds__(MMA_WARPS * 32)
planes_mma(const uint8_t * __restrict__ codes, uint32_t rows, uint32_t cols, uint32_t group, uint32_t n_groups,
           const int8_t * __restrict__ x, uint32_t stride, const int32_t * __restrict__ x_sums, uint32_t batch,
           int32_t * __restrict__ q) {
    const uint32_t lane = threadIdx.x % 32, r0 = (blockIdx.x * MMA_WARPS + threadIdx.x / 32) * 16;
    const uint32_t v0 = blockIdx.y * 8 * MMA_TILES;
    if (r0 >= rows) return; // whole warps only: mma needs every lane
    const int max = (1 << BITS) - 1;
    for (uint32_t g = 0; g < n_groups; ++g) {
        const uint32_t s0 = g * group / PLANES_TABLE_COLS, t_end = div_up(min(cols, (g + 1) * group), PLANES_TABLE_COLS);
        int32_t acc[MMA_TILES][4] = {};
        for (uint32_t s = s0; s < t_end; s += 4) {
            uint32_t a[4];
            planes_a_fragment<BITS>(codes, rows, r0, s, t_end, lane, a);
#pragma unroll
            for (int n = 0; n < MMA_TILES; ++n) {
                uint32_t b[2];
                planes_b_fragment(x, stride, batch, v0 + 8 * n, s, t_end, lane, b);
                mma_u8s8(acc[n], a, b);
            }
        }
#pragma unroll
        for (int n = 0; n < MMA_TILES; ++n) {
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const uint32_t row = r0 + mma_c_row(lane, e), v = v0 + 8 * n + mma_c_col(lane, e);
                if (row < rows && v < batch) {
                    // Q = sum (2u - max) x
                    q[((uint64_t)v * rows + row) * n_groups + g] = 2 * acc[n][e] - max * x_sums[(uint64_t)v * n_groups + g];
                }
            }
        }
    }
}

// ---- fold ------------------------------------------------------------------------------------------------

__global__ void planes_fold_rows(const int32_t * __restrict__ q, const int32_t * __restrict__ x_sums,
                                 const float * __restrict__ scales, const uint8_t * __restrict__ zeros, uint32_t bits,
                                 uint32_t rows, uint32_t n_groups, uint64_t n, const float * __restrict__ x_scales,
                                 const float * __restrict__ bias, float * __restrict__ y, int accumulate) {
    const uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const uint32_t r = (uint32_t)(i % rows);
    const uint64_t b = i / rows;
    float v = planes_fold(q + i * n_groups, x_sums + b * n_groups, scales + (uint64_t)r * n_groups,
                          zeros ? zeros + (uint64_t)r * n_groups : nullptr, bits, n_groups);
    // as IntegerLinear on the CPU: / s, then + bias
    if (x_scales) v = v / x_scales[b];
    if (bias) v += bias[r];
    y[i] = accumulate ? y[i] + v : v;
}

// ---- launch ----------------------------------------------------------------------------------------------

template <int BITS>
static void launch_q(const gpu_planes & p, const int8_t * x, uint32_t stride, uint32_t batch, const gpu_planes_scratch & s,
                     cudaStream_t stream) {
    if (batch < PLANES_MMA_BATCH) {
        cudaMemsetAsync(s.q, 0, (uint64_t)batch * p.rows * p.n_groups * sizeof(int32_t), stream);
        const dim3 grid(planes_chunks(p.cols), div_up(p.rows, LOOKUP_THREADS), batch);
        planes_lookup<BITS><<<grid, LOOKUP_THREADS, 0, stream>>>(p.codes, p.rows, p.cols, p.group, p.n_groups, x, stride, s.q);
    } else {
        const dim3 grid(div_up(p.rows, 16 * MMA_WARPS), div_up(batch, 8 * MMA_TILES));
        planes_mma<BITS><<<grid, MMA_WARPS * 32, 0, stream>>>(p.codes, p.rows, p.cols, p.group, p.n_groups, x, stride, s.x_sums,
                                                              batch, s.q);
    }
}

void planes_product(const gpu_planes & p, const gpu_quantized & xq, uint32_t batch, const gpu_planes_scratch & s,
                    const float * x_scales, const float * bias, float * y, bool accumulate, cudaStream_t stream) {
    const int8_t * x = xq.q;
    uint32_t stride = xq.stride;
    if (p.perm) {
        stride = quantized_stride(p.cols); // planes_scratch_bytes
        planes_gather<<<dim3(div_up(stride, 256), batch), 256, 0, stream>>>(xq.q, xq.stride, p.perm, p.cols, s.x, stride);
        x = s.x;
    }
    planes_group_sums<<<dim3(p.n_groups, batch), 32, 0, stream>>>(x, stride, p.cols, p.group, p.n_groups, s.x_sums);
    switch (p.bits) {
    case 1: launch_q<1>(p, x, stride, batch, s, stream); break;
    case 2: launch_q<2>(p, x, stride, batch, s, stream); break;
    case 3: launch_q<3>(p, x, stride, batch, s, stream); break;
    case 4: launch_q<4>(p, x, stride, batch, s, stream); break;
    case 5: launch_q<5>(p, x, stride, batch, s, stream); break;
    case 6: launch_q<6>(p, x, stride, batch, s, stream); break;
    case 7: launch_q<7>(p, x, stride, batch, s, stream); break;
    default: launch_q<8>(p, x, stride, batch, s, stream); break;
    }
    const uint64_t n = (uint64_t)batch * p.rows;
    planes_fold_rows<<<(unsigned)((n + 255) / 256), 256, 0, stream>>>(s.q, s.x_sums, p.scales, p.zeros, p.bits, p.rows, p.n_groups,
                                                                      n, x_scales, bias, y, accumulate);
}
