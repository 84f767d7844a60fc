// attention.cu: rotary embeddings, the KV cache and causal attention.
#include "ops.cuh"

// Rotates x[i] and x[i + half] of one head by the position's angle i.
__device__ __forceinline__ void rotate_pair(float * v, uint32_t i, uint32_t half, const float * cos_at, const float * sin_at) {
    const float c = cos_at[i], s = sin_at[i], a = v[i], b = v[i + half];
    v[i] = a * c - b * s;
    v[i + half] = b * c + a * s;
}

// One block per token: the queries rotated in place, the keys rotated and stored in the cache with the values.
__global__ void rope_kv_kernel(float * __restrict__ q, float * __restrict__ k, const float * __restrict__ v, uint32_t heads,
                               uint32_t kv_heads, uint32_t head_dim, const float * __restrict__ cos_table,
                               const float * __restrict__ sin_table, uint32_t capacity, float * __restrict__ cache_k,
                               float * __restrict__ cache_v, const int32_t * __restrict__ pos) {
    const uint32_t t = blockIdx.x, half = head_dim / 2, position = (uint32_t)pos[0] + t;
    const float * cos_at = cos_table + (uint64_t)position * half, * sin_at = sin_table + (uint64_t)position * half;
    for (uint32_t e = threadIdx.x; e < heads * half; e += blockDim.x) {
        rotate_pair(q + ((uint64_t)t * heads + e / half) * head_dim, e % half, half, cos_at, sin_at);
    }
    const uint32_t width = kv_heads * head_dim;
    for (uint32_t e = threadIdx.x; e < kv_heads * half; e += blockDim.x) {
        float * key = k + ((uint64_t)t * kv_heads + e / half) * head_dim;
        const uint32_t i = e % half;
        rotate_pair(key, i, half, cos_at, sin_at);
        float * cached = cache_k + ((uint64_t)(e / half) * capacity + position) * head_dim;
        cached[i] = key[i];
        cached[i + half] = key[i + half];
    }
    for (uint32_t e = threadIdx.x; e < width; e += blockDim.x) {
        cache_v[((uint64_t)(e / head_dim) * capacity + position) * head_dim + e % head_dim] = v[(uint64_t)t * width + e];
    }
}

void launch_rope_kv_store(float * q, float * k, const float * v, uint32_t tokens, uint32_t heads, uint32_t kv_heads,
                          uint32_t head_dim, const float * cos_table, const float * sin_table, uint32_t capacity,
                          float * cache_k, float * cache_v, const int32_t * pos, cudaStream_t stream) {
    rope_kv_kernel<<<tokens, 256, 0, stream>>>(q, k, v, heads, kv_heads, head_dim, cos_table, sin_table, capacity, cache_k,
                                               cache_v, pos);
}

#define ATTENTION_WARPS 8u
#define ATTENTION_MAX_DIM 256u
#define ATTENTION_CHUNK (4u * ATTENTION_WARPS) // positions of keys or values staged in shared memory at once
#define ATTENTION_PAD 8u                       // floats after each staged row: a warp's four rows hit distinct banks

#define ATTENTION_THREADS (ATTENTION_WARPS * 32)
#define ATTENTION_OVERLAP_BELOW 16u // tokens: below, a chunk's loads overlap the previous chunk's arithmetic
#define ATTENTION_LOADS (ATTENTION_CHUNK * ATTENTION_MAX_DIM / ATTENTION_THREADS) // a chunk's floats per thread, at most

// A thread's share of a chunk of count rows of d floats, loaded into registers all at once: a chunk costs one
// round trip to memory, and the next chunk's trip overlaps this chunk's arithmetic.
struct chunk_loads {
    float v[ATTENTION_LOADS];

    __device__ void load(const float * __restrict__ src, uint32_t count, uint32_t d) {
#pragma unroll
        for (uint32_t k = 0; k < ATTENTION_LOADS; ++k) {
            const uint32_t e = k * ATTENTION_THREADS + threadIdx.x;
            if (e < count * d) v[k] = src[e];
        }
    }

    // Into shared rows of d + ATTENTION_PAD floats.
    __device__ void store(uint32_t count, uint32_t d, float * staged) const {
#pragma unroll
        for (uint32_t k = 0; k < ATTENTION_LOADS; ++k) {
            const uint32_t e = k * ATTENTION_THREADS + threadIdx.x;
            if (e < count * d) staged[e / d * (d + ATTENTION_PAD) + e % d] = v[k];
        }
    }
};

// Copies count rows of d floats into shared rows of d + ATTENTION_PAD, a load at a time.
__device__ static inline void stage_rows(const float * __restrict__ src, uint32_t count, uint32_t d, float * staged) {
    for (uint32_t e = threadIdx.x; e < count * d; e += blockDim.x) staged[e / d * (d + ATTENTION_PAD) + e % d] = src[e];
}

// Chunk `first` of n rows of d floats: with OVERLAP, loaded into registers ahead of its use (nothing past
// the last row); then staged in shared memory from those registers, or without OVERLAP straight from rows.
template <bool OVERLAP>
__device__ static inline void load_chunk(chunk_loads & next, const float * __restrict__ rows, uint32_t first, uint32_t n, uint32_t d) {
    if (OVERLAP && first < n) next.load(rows + (uint64_t)first * d, min(ATTENTION_CHUNK, n - first), d);
}

template <bool OVERLAP>
__device__ static inline void stage_chunk(const chunk_loads & next, const float * __restrict__ rows, uint32_t first, uint32_t count,
                                          uint32_t d, float * staged) {
    if (OVERLAP) {
        next.store(count, d, staged);
    } else {
        stage_rows(rows + (uint64_t)first * d, count, d, staged);
    }
}

// One block per (head, token), adding in the CPU path's order (attention.c) so that the two agree to the
// bit: each score is 16 partial sums of fused multiply-adds (dimension i into sum i % 16) added pairwise;
// the softmax denominator is 16 partial sums (position p into sum p % 16, in order) added the same way;
// each output dimension sums its weighted values in position order by fused multiply-adds. Keys and
// values pass through shared memory a chunk at a time. With OVERLAP (a few tokens: latency counts) the next
// chunk is in flight while this one is used; without (many tokens: the blocks' registers would limit how
// many share a multiprocessor) a chunk is staged a load at a time.
template <bool OVERLAP>
__global__ void __launch_bounds__(ATTENTION_THREADS)
attention_kernel(const float * __restrict__ q, uint32_t heads, uint32_t kv_heads, uint32_t d, uint32_t capacity,
                 const float * __restrict__ cache_k, const float * __restrict__ cache_v, float * __restrict__ scores_all,
                 float * __restrict__ out, const int32_t * __restrict__ pos, float scale) {
    extern __shared__ float staged[]; // ATTENTION_CHUNK rows of d + ATTENTION_PAD
    __shared__ float q_shared[ATTENTION_MAX_DIM];
    __shared__ float weight_shared[ATTENTION_CHUNK];
    __shared__ float partial_totals[16];
    const uint32_t h = blockIdx.x, t = blockIdx.y, kv = h / (heads / kv_heads);
    const uint32_t warp = threadIdx.x / 32, lane = threadIdx.x % 32, n = (uint32_t)pos[0] + t + 1, stride = d + ATTENTION_PAD;
    const float * keys = cache_k + (uint64_t)kv * capacity * d;
    const float * values = cache_v + (uint64_t)kv * capacity * d;
    float * scores = scores_all + ((uint64_t)t * heads + h) * capacity;
    for (uint32_t i = threadIdx.x; i < d; i += blockDim.x) q_shared[i] = q[((uint64_t)t * heads + h) * d + i];

    // each warp takes 2 positions of a chunk at a time, 16 lanes per position, lane j summing dimensions
    // j, j + 16, ...; the chunk's positions in two rounds
    const uint32_t j = lane % 16;
    chunk_loads next;
    load_chunk<OVERLAP>(next, keys, 0, n, d);
    for (uint32_t first = 0; first < n; first += ATTENTION_CHUNK) {
        const uint32_t count = min(ATTENTION_CHUNK, n - first);
        stage_chunk<OVERLAP>(next, keys, first, count, d, staged);
        __syncthreads();
        load_chunk<OVERLAP>(next, keys, first + ATTENTION_CHUNK, n, d);
        for (uint32_t round = 0; round < ATTENTION_CHUNK / (2 * ATTENTION_WARPS); ++round) {
            const uint32_t slot = round * 2 * ATTENTION_WARPS + warp * 2 + lane / 16;
            float acc = 0.0f;
            if (slot < count) {
                for (uint32_t i = j; i < d; i += 16) acc = fmaf(q_shared[i], staged[slot * stride + i], acc);
            }
            acc += __shfl_xor_sync(0xffffffffu, acc, 1); // (a0 + a1), (a2 + a3), ...
            acc += __shfl_xor_sync(0xffffffffu, acc, 2); // ((a0 + a1) + (a2 + a3)), ...
            acc += __shfl_xor_sync(0xffffffffu, acc, 4); // eights
            acc += __shfl_xor_sync(0xffffffffu, acc, 8); // and the two halves
            if (j == 0 && slot < count) scores[first + slot] = acc * scale;
        }
        __syncthreads();
    }
    load_chunk<OVERLAP>(next, values, 0, n, d); // in flight during the softmax
    float max = -INFINITY;
    for (uint32_t p = threadIdx.x; p < n; p += blockDim.x) max = fmaxf(max, scores[p]);
    max = block_max(max);
    // exp in f64 rounded to f32: the correctly rounded value, which glibc's expf (the CPU path) gives too
    for (uint32_t p = threadIdx.x; p < n; p += blockDim.x) scores[p] = (float)exp((double)(scores[p] - max));
    __syncthreads();
    // the denominator: thread j < 16 sums positions j, j + 16, ... in order, from shared memory a staged run
    // at a time (runs start at multiples of 16), and the 16 sums are added pairwise
    float partial = 0.0f;
    for (uint32_t first = 0; first < n; first += ATTENTION_CHUNK * stride) {
        const uint32_t count = min(ATTENTION_CHUNK * stride, n - first);
        for (uint32_t e = threadIdx.x; e < count; e += blockDim.x) staged[e] = scores[first + e];
        __syncthreads();
        if (threadIdx.x < 16) {
            for (uint32_t e = threadIdx.x; e < count; e += 16) partial += staged[e];
        }
        __syncthreads();
    }
    if (threadIdx.x < 16) partial_totals[threadIdx.x] = partial;
    __syncthreads();
    const float * a = partial_totals;
    const float total = (((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))) +
                        (((a[8] + a[9]) + (a[10] + a[11])) + ((a[12] + a[13]) + (a[14] + a[15])));
    // d <= ATTENTION_MAX_DIM <= the block's threads: one output dimension per thread
    float o = 0.0f;
    for (uint32_t first = 0; first < n; first += ATTENTION_CHUNK) {
        const uint32_t count = min(ATTENTION_CHUNK, n - first);
        stage_chunk<OVERLAP>(next, values, first, count, d, staged);
        if (threadIdx.x < count) weight_shared[threadIdx.x] = scores[first + threadIdx.x] / total;
        __syncthreads();
        load_chunk<OVERLAP>(next, values, first + ATTENTION_CHUNK, n, d);
        if (threadIdx.x < d) {
            for (uint32_t p = 0; p < count; ++p) o = fmaf(weight_shared[p], staged[p * stride + threadIdx.x], o);
        }
        __syncthreads();
    }
    if (threadIdx.x < d) out[((uint64_t)t * heads + h) * d + threadIdx.x] = o;
}

void launch_attention(const float * q, uint32_t tokens, uint32_t heads, uint32_t kv_heads, uint32_t head_dim,
                      uint32_t capacity, const float * cache_k, const float * cache_v, float * scores, float * out,
                      const int32_t * pos, cudaStream_t stream) {
    const size_t staged = (size_t)ATTENTION_CHUNK * (head_dim + ATTENTION_PAD) * sizeof(float); // 33 KiB at most
    const float scale = 1.0f / sqrtf((float)head_dim);
    const dim3 grid(heads, tokens);
    if (tokens < ATTENTION_OVERLAP_BELOW) {
        attention_kernel<true><<<grid, ATTENTION_THREADS, staged, stream>>>(q, heads, kv_heads, head_dim, capacity, cache_k, cache_v,
                                                                            scores, out, pos, scale);
    } else {
        attention_kernel<false><<<grid, ATTENTION_THREADS, staged, stream>>>(q, heads, kv_heads, head_dim, capacity, cache_k, cache_v,
                                                                             scores, out, pos, scale);
    }
}
