// attention.cu: rotary embeddings, the KV cache and causal attention.
#include "ops.cuh"

__global__ void rope_kernel(float * __restrict__ x, uint32_t heads, uint32_t head_dim, const float * __restrict__ cos_table,
                            const float * __restrict__ sin_table, const int32_t * __restrict__ pos) {
    const uint32_t t = blockIdx.x, half = head_dim / 2;
    const uint64_t at = (uint64_t)(pos[0] + t) * half;
    for (uint32_t e = threadIdx.x; e < heads * half; e += blockDim.x) {
        const uint32_t h = e / half, i = e % half;
        float * v = x + ((uint64_t)t * heads + h) * head_dim;
        const float c = cos_table[at + i], s = sin_table[at + i], a = v[i], b = v[i + half];
        v[i] = a * c - b * s;
        v[i + half] = b * c + a * s;
    }
}

void launch_rope(float * x, uint32_t tokens, uint32_t heads, uint32_t head_dim, const float * cos_table,
                 const float * sin_table, const int32_t * pos, cudaStream_t stream) {
    rope_kernel<<<tokens, 256, 0, stream>>>(x, heads, head_dim, cos_table, sin_table, pos);
}

__global__ void kv_store_kernel(const float * __restrict__ k, const float * __restrict__ v, uint32_t kv_heads, uint32_t head_dim,
                                uint32_t capacity, float * __restrict__ cache_k, float * __restrict__ cache_v,
                                const int32_t * __restrict__ pos) {
    const uint32_t t = blockIdx.x, width = kv_heads * head_dim;
    for (uint32_t e = threadIdx.x; e < width; e += blockDim.x) {
        const uint32_t h = e / head_dim, i = e % head_dim;
        const uint64_t target = ((uint64_t)h * capacity + pos[0] + t) * head_dim + i;
        cache_k[target] = k[(uint64_t)t * width + e];
        cache_v[target] = v[(uint64_t)t * width + e];
    }
}

void launch_kv_store(const float * k, const float * v, uint32_t tokens, uint32_t kv_heads, uint32_t head_dim,
                     uint32_t capacity, float * cache_k, float * cache_v, const int32_t * pos, cudaStream_t stream) {
    kv_store_kernel<<<tokens, 256, 0, stream>>>(k, v, kv_heads, head_dim, capacity, cache_k, cache_v, pos);
}

#define ATTENTION_WARPS 8u
#define ATTENTION_MAX_DIM 256u

// One block per (head, token): scores by one warp per position, softmax in f32, then each warp sums a
// contiguous slice of the positions' values and the slices are added in order.
__global__ void __launch_bounds__(ATTENTION_WARPS * 32)
attention_kernel(const float * __restrict__ q, uint32_t heads, uint32_t kv_heads, uint32_t d, uint32_t capacity,
                 const float * __restrict__ cache_k, const float * __restrict__ cache_v, float * __restrict__ scores_all,
                 float * __restrict__ out, const int32_t * __restrict__ pos, float scale) {
    __shared__ float q_shared[ATTENTION_MAX_DIM];
    __shared__ float partial[ATTENTION_WARPS][ATTENTION_MAX_DIM];
    const uint32_t h = blockIdx.x, t = blockIdx.y, kv = h / (heads / kv_heads);
    const uint32_t warp = threadIdx.x / 32, lane = threadIdx.x % 32, n = (uint32_t)pos[0] + t + 1;
    const float * keys = cache_k + (uint64_t)kv * capacity * d;
    const float * values = cache_v + (uint64_t)kv * capacity * d;
    float * scores = scores_all + ((uint64_t)t * heads + h) * capacity;
    for (uint32_t i = threadIdx.x; i < d; i += blockDim.x) q_shared[i] = q[((uint64_t)t * heads + h) * d + i];
    __syncthreads();

    for (uint32_t p = warp; p < n; p += ATTENTION_WARPS) {
        float dot = 0.0f;
        for (uint32_t i = lane; i < d; i += 32) dot += q_shared[i] * keys[(uint64_t)p * d + i];
        for (int o = 16; o > 0; o /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, o);
        if (lane == 0) scores[p] = dot * scale;
    }
    __syncthreads();
    float max = -INFINITY;
    for (uint32_t p = threadIdx.x; p < n; p += blockDim.x) max = fmaxf(max, scores[p]);
    max = block_max(max);
    float sum = 0.0f;
    for (uint32_t p = threadIdx.x; p < n; p += blockDim.x) {
        const float e = expf(scores[p] - max);
        scores[p] = e;
        sum += e;
    }
    for (int o = 16; o > 0; o /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, o);
    __shared__ float sums[ATTENTION_WARPS];
    if (lane == 0) sums[warp] = sum;
    __syncthreads(); // also publishes the exponentials
    float total = 0.0f;
    for (uint32_t w = 0; w < ATTENTION_WARPS; ++w) total += sums[w];

    float acc[ATTENTION_MAX_DIM / 32];
#pragma unroll
    for (uint32_t j = 0; j < ATTENTION_MAX_DIM / 32; ++j) acc[j] = 0.0f;
    const uint32_t first = (uint32_t)((uint64_t)n * warp / ATTENTION_WARPS);
    const uint32_t end = (uint32_t)((uint64_t)n * (warp + 1) / ATTENTION_WARPS);
    for (uint32_t p = first; p < end; ++p) {
        const float weight = scores[p] / total;
        const float * vp = values + (uint64_t)p * d;
#pragma unroll
        for (uint32_t j = 0; j < ATTENTION_MAX_DIM / 32; ++j) {
            const uint32_t i = lane + 32 * j;
            if (i < d) acc[j] += weight * vp[i];
        }
    }
#pragma unroll
    for (uint32_t j = 0; j < ATTENTION_MAX_DIM / 32; ++j) {
        const uint32_t i = lane + 32 * j;
        if (i < d) partial[warp][i] = acc[j];
    }
    __syncthreads();
    for (uint32_t i = threadIdx.x; i < d; i += blockDim.x) {
        float o = 0.0f;
        for (uint32_t w = 0; w < ATTENTION_WARPS; ++w) o += partial[w][i];
        out[((uint64_t)t * heads + h) * d + i] = o;
    }
}

void launch_attention(const float * q, uint32_t tokens, uint32_t heads, uint32_t kv_heads, uint32_t head_dim,
                      uint32_t capacity, const float * cache_k, const float * cache_v, float * scores, float * out,
                      const int32_t * pos, cudaStream_t stream) {
    attention_kernel<<<dim3(heads, tokens), ATTENTION_WARPS * 32, 0, stream>>>(
        q, heads, kv_heads, head_dim, capacity, cache_k, cache_v, scores, out, pos, 1.0f / sqrtf((float)head_dim));
}
