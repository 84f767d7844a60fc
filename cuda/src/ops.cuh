// ops.cuh: the transformer's steps between ternary products, as kernel launches on a stream. Positions
// come from device memory (pos[0] is the first token's position) so that a captured decode graph can be
// replayed at every position.
#pragma once

#include "common.cuh"
#include "reduce.cuh"

// activations.cu
// Per-row int8 absmax quantization of x[rows][cols] into out (see gpu_quantized).
void launch_quantize(const float * x, uint32_t rows, uint32_t cols, const gpu_quantized & out, cudaStream_t stream);
// out[r] = weight * x[r] / sqrt(mean(x[r]^2) + eps), the sum of squares in f64 like the CPU path.
void launch_rms_norm(const float * x, uint32_t rows, uint32_t cols, const float * weight, float eps, float * out,
                     cudaStream_t stream);
// RMSNorm of x into normed, then normed quantized into out: one launch.
void launch_norm_quantize(const float * x, uint32_t rows, uint32_t cols, const float * weight, float eps, float * normed,
                          const gpu_quantized & out, cudaStream_t stream);
// gate = act(gate) * up (act: relu^2 or SiLU), then RMSNorm into normed when weight is not NULL, then the
// result (normed, or gate) quantized into out: one launch.
void launch_glu_quantize(float * gate, const float * up, uint32_t rows, uint32_t cols, rsr_cuda_activation act,
                         const float * weight, float eps, float * normed, const gpu_quantized & out, cudaStream_t stream);
// What a product left in ep.sums (batch x rows), rescaled into ep.out (for kernels that cannot do it themselves).
void launch_rescale(const gpu_epilogue & ep, uint32_t batch, uint32_t rows, cudaStream_t stream);

// attention.cu
// Rotates the queries [tokens][heads][head_dim] and keys [tokens][kv_heads][head_dim] by cos/sin tables
// [position][head_dim / 2] and stores the keys and values in the cache, [kv_heads][capacity][head_dim].
void launch_rope_kv_store(float * q, float * k, const float * v, uint32_t tokens, uint32_t heads, uint32_t kv_heads,
                          uint32_t head_dim, const float * cos_table, const float * sin_table, uint32_t capacity,
                          float * cache_k, float * cache_v, const int32_t * pos, cudaStream_t stream);
// Causal attention of tokens queries over the cache; scores is [tokens][heads][capacity] scratch.
void launch_attention(const float * q, uint32_t tokens, uint32_t heads, uint32_t kv_heads, uint32_t head_dim,
                      uint32_t capacity, const float * cache_k, const float * cache_v, float * scores, float * out,
                      const int32_t * pos, cudaStream_t stream);

// dense.cu
// out[t] = row tokens[t] of the embeddings, as f32.
void launch_embed(const rsr_cuda_tensor & type, const void * table, const int32_t * tokens, uint32_t n, float * out,
                  cudaStream_t stream);
// y = W x for one vector (the output head); x_q is x quantized (used by the integer types).
void launch_head(const rsr_cuda_tensor & type, const void * w, const float * x, const gpu_quantized & x_q, float * y,
                 cudaStream_t stream);
