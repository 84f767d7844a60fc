// activations.cu: RMSNorm, activation quantization, the GLU and the projections' rescaling, rounding as the
// CPU path does (the library is built without fused multiply-adds).
#include "ops.cuh"

#define ROW_THREADS 1024 // a decoded token's row is one block: the more threads, the fewer round trips to memory

// The row functions below are called by every thread of a block, each thread on columns threadIdx.x +
// k * blockDim.x, so that a thread reads back only what it wrote itself.

// dst = weight * row / sqrt(mean(row^2) + eps), the sum of squares in f64 like the CPU path.
__device__ static void rms_norm_row(const float * __restrict__ row, uint32_t cols, const float * __restrict__ weight, float eps,
                                    float * __restrict__ dst) {
    double sum = 0.0;
    for (uint32_t c = threadIdx.x; c < cols; c += blockDim.x) sum += (double)row[c] * (double)row[c];
    sum = block_sum(sum);
    const float root = sqrtf((float)(sum / (double)cols) + eps);
    for (uint32_t c = threadIdx.x; c < cols; c += blockDim.x) dst[c] = weight[c] * (row[c] / root);
}

// HF's per-token absmax: s = 127 / max(max|x|, 1e-5), round half to even, clamp to [-128, 127]; padding
// columns are zero so that products may read whole words.
__device__ static void quantize_row(const float * __restrict__ row, uint32_t cols, int8_t * __restrict__ out, uint32_t stride,
                                    float * __restrict__ scale, int32_t * __restrict__ total) {
    float amax = 0.0f;
    for (uint32_t c = threadIdx.x; c < cols; c += blockDim.x) amax = fmaxf(amax, fabsf(row[c]));
    amax = block_max(amax);
    const float s = 127.0f / fmaxf(amax, 1e-5f);
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
        *scale = s;
        *total = sum;
    }
}

__device__ __forceinline__ float glu_value(float g, float u, int silu) {
    if (silu) {
        // exp in f64 rounded to f32: the correctly rounded value, which glibc's expf (the CPU path) gives too
        return g * (1.0f / (1.0f + (float)exp(-(double)g))) * u;
    }
    const float r = fmaxf(g, 0.0f);
    return r * r * u;
}

__global__ void __launch_bounds__(ROW_THREADS)
rms_norm_rows(const float * __restrict__ x, uint32_t cols, const float * __restrict__ weight, float eps, float * __restrict__ out) {
    rms_norm_row(x + (uint64_t)blockIdx.x * cols, cols, weight, eps, out + (uint64_t)blockIdx.x * cols);
}

void launch_rms_norm(const float * x, uint32_t rows, uint32_t cols, const float * weight, float eps, float * out,
                     cudaStream_t stream) {
    rms_norm_rows<<<rows, ROW_THREADS, 0, stream>>>(x, cols, weight, eps, out);
}

// A projection's input in one launch, one block per row: the GLU first when `up` is given (x = act(x) * up,
// in place), then RMSNorm into `normed` when `weight` is given, then the int8 quantization of the result.
__global__ void __launch_bounds__(ROW_THREADS)
prepare_rows(float * __restrict__ x, const float * __restrict__ up, int silu, uint32_t cols, const float * __restrict__ weight,
             float eps, float * __restrict__ normed, const gpu_quantized out) {
    float * row = x + (uint64_t)blockIdx.x * cols;
    if (up) {
        const float * u = up + (uint64_t)blockIdx.x * cols;
        for (uint32_t c = threadIdx.x; c < cols; c += blockDim.x) row[c] = glu_value(row[c], u[c], silu);
    }
    if (weight) {
        float * dst = normed + (uint64_t)blockIdx.x * cols;
        rms_norm_row(row, cols, weight, eps, dst);
        row = dst;
    }
    quantize_row(row, cols, out.q + (uint64_t)blockIdx.x * out.stride, out.stride, out.scales + blockIdx.x, out.sums + blockIdx.x);
}

void launch_quantize(const float * x, uint32_t rows, uint32_t cols, const gpu_quantized & out, cudaStream_t stream) {
    // neither a GLU nor a norm: x is only read
    prepare_rows<<<rows, ROW_THREADS, 0, stream>>>((float *)x, nullptr, 0, cols, nullptr, 0.0f, nullptr, out);
}

void launch_norm_quantize(const float * x, uint32_t rows, uint32_t cols, const float * weight, float eps, float * normed,
                          const gpu_quantized & out, cudaStream_t stream) {
    prepare_rows<<<rows, ROW_THREADS, 0, stream>>>((float *)x, nullptr, 0, cols, weight, eps, normed, out); // no GLU: x is only read
}

void launch_glu_quantize(float * gate, const float * up, uint32_t rows, uint32_t cols, rsr_cuda_activation act,
                         const float * weight, float eps, float * normed, const gpu_quantized & out, cudaStream_t stream) {
    prepare_rows<<<rows, ROW_THREADS, 0, stream>>>(gate, up, act == RSR_CUDA_SILU, cols, weight, eps, normed, out);
}

__global__ void rescale_kernel(const gpu_epilogue ep, uint32_t rows, uint64_t n) {
    const uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) epilogue_store(ep, rows, (uint32_t)(i / rows), (uint32_t)(i % rows), ep.sums[i]);
}

void launch_rescale(const gpu_epilogue & ep, uint32_t batch, uint32_t rows, cudaStream_t stream) {
    const uint64_t n = (uint64_t)batch * rows;
    rescale_kernel<<<(unsigned)((n + 255) / 256), 256, 0, stream>>>(ep, rows, n);
}
