// activations.cu: reductions, activation quantization, RMSNorm, the GLU and the projections' rescaling,
// rounding as the CPU path does (the library is built without fused multiply-adds).
#include "ops.cuh"

#define ROW_THREADS 256

// HF's per-token absmax: s = 127 / max(max|x|, 1e-5), round half to even, clamp to [-128, 127]; padding
// columns are zero so that products may read whole words.
__global__ void __launch_bounds__(ROW_THREADS)
quantize_rows(const float * __restrict__ x, uint32_t cols, int8_t * __restrict__ q, uint32_t stride,
              float * __restrict__ scales, int32_t * __restrict__ sums) {
    const float * row = x + (uint64_t)blockIdx.x * cols;
    float amax = 0.0f;
    for (uint32_t c = threadIdx.x; c < cols; c += blockDim.x) amax = fmaxf(amax, fabsf(row[c]));
    amax = block_max(amax);
    const float s = 127.0f / fmaxf(amax, 1e-5f);
    int8_t * out = q + (uint64_t)blockIdx.x * stride;
    int sum = 0;
    for (uint32_t c = threadIdx.x; c < stride; c += blockDim.x) {
        int v = 0;
        if (c < cols) {
            const float r = rintf(row[c] * s);
            v = (int)(r > 127.0f ? 127.0f : r >= -128.0f ? r : -128.0f); // NaN gives -128, as on the CPU
        }
        out[c] = (int8_t)v;
        sum += v;
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) {
        scales[blockIdx.x] = s;
        sums[blockIdx.x] = sum;
    }
}

void launch_quantize(const float * x, uint32_t rows, uint32_t cols, const gpu_quantized & out, cudaStream_t stream) {
    quantize_rows<<<rows, ROW_THREADS, 0, stream>>>(x, cols, out.q, out.stride, out.scales, out.sums);
}

__global__ void __launch_bounds__(ROW_THREADS)
rms_norm_rows(const float * __restrict__ x, uint32_t cols, const float * __restrict__ weight, float eps, float * __restrict__ out) {
    const float * row = x + (uint64_t)blockIdx.x * cols;
    double sum = 0.0;
    for (uint32_t c = threadIdx.x; c < cols; c += blockDim.x) sum += (double)row[c] * (double)row[c];
    sum = block_sum(sum);
    const float root = sqrtf((float)(sum / (double)cols) + eps);
    float * dst = out + (uint64_t)blockIdx.x * cols;
    for (uint32_t c = threadIdx.x; c < cols; c += blockDim.x) dst[c] = weight[c] * (row[c] / root);
}

void launch_rms_norm(const float * x, uint32_t rows, uint32_t cols, const float * weight, float eps, float * out,
                     cudaStream_t stream) {
    rms_norm_rows<<<rows, ROW_THREADS, 0, stream>>>(x, cols, weight, eps, out);
}

__global__ void glu_kernel(float * __restrict__ gate, const float * __restrict__ up, uint64_t n, int silu) {
    const uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float g = gate[i];
    if (silu) {
        // exp in f64 rounded to f32: the correctly rounded value, which glibc's expf (the CPU path) gives too
        gate[i] = g * (1.0f / (1.0f + (float)exp(-(double)g))) * up[i];
    } else {
        const float r = fmaxf(g, 0.0f);
        gate[i] = r * r * up[i];
    }
}

void launch_glu(float * gate, const float * up, uint64_t n, rsr_cuda_activation act, cudaStream_t stream) {
    glu_kernel<<<(unsigned)((n + 255) / 256), 256, 0, stream>>>(gate, up, n, act == RSR_CUDA_SILU);
}

__global__ void dequantize_kernel(const int32_t * __restrict__ acc, const float * __restrict__ scales, uint32_t rows,
                                  uint64_t n, float scale, int divide, const float * __restrict__ bias, float * __restrict__ y,
                                  int accumulate) {
    const uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const uint32_t r = (uint32_t)(i % rows);
    const float s = scales[i / rows];
    // transformers' order: AutoBitLinear (x / s, then * weight_scale), BitLinear (/ (weight_scale * s))
    float v = divide ? (float)acc[i] / (scale * s) : (float)acc[i] / s * scale;
    if (bias) v += bias[r];
    y[i] = accumulate ? y[i] + v : v;
}

void launch_dequantize(const int32_t * acc, const float * scales, uint32_t batch, uint32_t rows, float scale, int divide,
                       const float * bias, float * y, bool accumulate, cudaStream_t stream) {
    const uint64_t n = (uint64_t)batch * rows;
    dequantize_kernel<<<(unsigned)((n + 255) / 256), 256, 0, stream>>>(acc, scales, rows, n, scale, divide, bias, y, accumulate);
}
