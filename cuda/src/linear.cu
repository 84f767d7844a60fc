// linear.cu: single projections through the C ABI (kernel tests, benchmarks) and the timing that picks a
// kernel per shape.
#include "planes.cuh"
#include "ternary.cuh"

#include <algorithm>
#include <stdlib.h>
#include <string.h>
#include <vector>

struct rsr_cuda_linear {
    rsr_cuda_context * ctx;
    gpu_projection p;   // ternary weights
    gpu_planes planes;  // or integer ones (codes not NULL)

    bool integer() const { return planes.codes != nullptr; }
    uint32_t rows() const { return integer() ? planes.rows : p.rows; }
    uint32_t cols() const { return integer() ? planes.cols : p.cols; }
};

// Device buffers for batch quantized rows of cols columns, and the results of rows outputs (int32, or
// floats for integer weights, with the bit-plane product's scratch).
struct product_buffers {
    gpu_quantized x = {};
    int32_t * y = nullptr;
    void * scratch = nullptr;

    ~product_buffers() {
        cudaFree(x.q);
        cudaFree(x.sums);
        cudaFree(x.scales);
        cudaFree(y);
        cudaFree(scratch);
    }

    // Uploads host rows x[batch][cols], zero-padded to the quantized stride, and their sums.
    rsr_cuda_status create(const int8_t * host, uint32_t batch, uint32_t cols, uint32_t rows) {
        x.stride = quantized_stride(cols);
        std::vector<int8_t> padded((size_t)batch * x.stride, 0);
        std::vector<int32_t> sums(batch, 0);
        for (uint32_t b = 0; b < batch; ++b) {
            for (uint32_t c = 0; c < cols; ++c) {
                padded[(size_t)b * x.stride + c] = host[(size_t)b * cols + c];
                sums[b] += host[(size_t)b * cols + c];
            }
        }
        CUDA_TRY(cudaMalloc(&x.q, padded.size()), "allocating activations");
        CUDA_TRY(cudaMalloc(&x.sums, batch * sizeof(int32_t)), "allocating activation sums");
        CUDA_TRY(cudaMalloc(&x.scales, batch * sizeof(float)), "allocating activation scales");
        CUDA_TRY(cudaMalloc(&y, (size_t)batch * rows * sizeof(int32_t)), "allocating results");
        CUDA_TRY(cudaMemcpy(x.q, padded.data(), padded.size(), cudaMemcpyHostToDevice), "uploading activations");
        CUDA_TRY(cudaMemcpy(x.sums, sums.data(), batch * sizeof(int32_t), cudaMemcpyHostToDevice), "uploading activation sums");
        // pageable copies may still be in flight on the default stream, which the context's stream does not wait for
        CUDA_TRY(cudaDeviceSynchronize(), "uploading activations");
        return RSR_CUDA_OK;
    }

    rsr_cuda_status create_random(uint32_t batch, uint32_t cols, uint32_t rows) {
        std::vector<int8_t> host((size_t)batch * cols);
        uint64_t state = 0x9e3779b97f4a7c15ull;
        for (int8_t & v : host) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            v = (int8_t)(state >> 56);
        }
        return create(host.data(), batch, cols, rows);
    }

    rsr_cuda_status create_scratch(const gpu_planes & p, uint32_t batch) {
        CUDA_TRY(cudaMalloc(&scratch, planes_scratch_bytes(p, batch)), "allocating a bit-plane product's scratch");
        return RSR_CUDA_OK;
    }
};

// One product of the buffers' batch on the stream.
static void run_product(const rsr_cuda_linear * linear, const product_buffers & buffers, uint32_t batch, cudaStream_t stream) {
    if (linear->integer()) {
        planes_product(linear->planes, buffers.x, batch, planes_scratch_at(linear->planes, batch, buffers.scratch), nullptr, nullptr,
                       (float *)buffers.y, false, stream);
    } else {
        gpu_epilogue exact = {};
        exact.sums = buffers.y;
        ternary_product(linear->p, buffers.x, batch, exact, stream);
    }
}

// Median seconds of `runs` products (after two warm-ups), timed with events on the stream.
static rsr_cuda_status time_product(const rsr_cuda_linear * linear, const product_buffers & buffers, uint32_t batch, uint32_t runs,
                                    cudaStream_t stream, double * seconds) {
    cudaEvent_t start, stop;
    CUDA_TRY(cudaEventCreate(&start), "creating a timing event");
    const cudaError_t created = cudaEventCreate(&stop);
    if (created != cudaSuccess) {
        cudaEventDestroy(start);
        return rsr_cuda_fail_cuda(created, "creating a timing event");
    }
    std::vector<float> times;
    cudaError_t e = cudaSuccess;
    for (uint32_t i = 0; i < runs + 2 && e == cudaSuccess; ++i) {
        cudaEventRecord(start, stream);
        run_product(linear, buffers, batch, stream);
        cudaEventRecord(stop, stream);
        e = cudaEventSynchronize(stop);
        float ms = 0;
        if (e == cudaSuccess) e = cudaEventElapsedTime(&ms, start, stop);
        if (i >= 2) times.push_back(ms);
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    if (e != cudaSuccess) return rsr_cuda_fail_cuda(e, "timing a product");
    std::sort(times.begin(), times.end());
    *seconds = times[times.size() / 2] * 1e-3;
    return RSR_CUDA_OK;
}

rsr_cuda_status ternary_pick_kernel(const int8_t * w, uint32_t rows, uint32_t cols, cudaStream_t stream, rsr_cuda_kernel * kernel) {
    product_buffers buffers;
    RSR_TRY(buffers.create_random(1, cols, rows));
    double best = 0;
    *kernel = RSR_CUDA_KERNEL_PACKED_I2;
    for (rsr_cuda_kernel candidate : { RSR_CUDA_KERNEL_PACKED_I2, RSR_CUDA_KERNEL_RSRT }) {
        rsr_cuda_linear linear = {};
        RSR_TRY(gpu_projection_create(candidate, w, rows, cols, &linear.p));
        double seconds = 0;
        const rsr_cuda_status s = time_product(&linear, buffers, 1, 20, stream, &seconds);
        gpu_projection_free(&linear.p);
        RSR_TRY(s);
        if (candidate == RSR_CUDA_KERNEL_PACKED_I2 || seconds < best) {
            best = seconds;
            *kernel = candidate;
        }
    }
    return RSR_CUDA_OK;
}

extern "C" rsr_cuda_status rsr_cuda_linear_create(rsr_cuda_context * ctx, rsr_cuda_kernel kernel, const int8_t * w,
                                                  uint32_t rows, uint32_t cols, rsr_cuda_linear ** out) {
    rsr_cuda_clear_error();
    if (!ctx || !w || !out) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_linear_create: a pointer is NULL");
    *out = nullptr;
    CUDA_TRY(cudaSetDevice(ctx->device), "selecting the CUDA device");
    if (kernel == RSR_CUDA_KERNEL_AUTO) RSR_TRY(ternary_pick_kernel(w, rows, cols, ctx->stream, &kernel));
    rsr_cuda_linear * linear = (rsr_cuda_linear *)calloc(1, sizeof *linear);
    if (!linear) return rsr_cuda_fail(RSR_CUDA_ERR_OUT_OF_MEMORY, "out of host memory");
    linear->ctx = ctx;
    const rsr_cuda_status s = gpu_projection_create(kernel, w, rows, cols, &linear->p);
    if (s != RSR_CUDA_OK) {
        free(linear);
        return s;
    }
    *out = linear;
    return RSR_CUDA_OK;
}

extern "C" rsr_cuda_status rsr_cuda_integer_linear_create(rsr_cuda_context * ctx, const rsr_cuda_integer * w, uint32_t rows,
                                                          uint32_t cols, rsr_cuda_linear ** out) {
    rsr_cuda_clear_error();
    if (!ctx || !w || !out) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_integer_linear_create: a pointer is NULL");
    *out = nullptr;
    CUDA_TRY(cudaSetDevice(ctx->device), "selecting the CUDA device");
    rsr_cuda_linear * linear = (rsr_cuda_linear *)calloc(1, sizeof *linear);
    if (!linear) return rsr_cuda_fail(RSR_CUDA_ERR_OUT_OF_MEMORY, "out of host memory");
    linear->ctx = ctx;
    const rsr_cuda_status s = gpu_planes_create(w, rows, cols, &linear->planes);
    if (s != RSR_CUDA_OK) {
        free(linear);
        return s;
    }
    *out = linear;
    return RSR_CUDA_OK;
}

extern "C" void rsr_cuda_linear_free(rsr_cuda_linear * linear) {
    if (!linear) return;
    cudaSetDevice(linear->ctx->device);
    gpu_projection_free(&linear->p);
    gpu_planes_free(&linear->planes);
    free(linear);
}

extern "C" rsr_cuda_kernel rsr_cuda_linear_kernel(const rsr_cuda_linear * linear) {
    if (!linear) return RSR_CUDA_KERNEL_AUTO;
    return linear->integer() ? RSR_CUDA_KERNEL_BIT_PLANES : linear->p.kernel;
}

extern "C" uint64_t rsr_cuda_linear_bytes(const rsr_cuda_linear * linear) {
    if (!linear) return 0;
    return linear->integer() ? linear->planes.bytes : linear->p.bytes;
}

static rsr_cuda_status check_batch(const rsr_cuda_linear * linear, uint32_t batch, const char * what) {
    if (!linear) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "%s: linear is NULL", what);
    if (batch == 0 || batch > 65535) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "%s: batch %u is not 1 to 65535", what, batch);
    return RSR_CUDA_OK;
}

// One product of host x, its results (4 bytes each) copied to host y.
static rsr_cuda_status matmul(rsr_cuda_linear * linear, const int8_t * x, uint32_t batch, void * y) {
    CUDA_TRY(cudaSetDevice(linear->ctx->device), "selecting the CUDA device");
    product_buffers buffers;
    RSR_TRY(buffers.create(x, batch, linear->cols(), linear->rows()));
    if (linear->integer()) RSR_TRY(buffers.create_scratch(linear->planes, batch));
    cudaStream_t stream = linear->ctx->stream;
    cudaGetLastError(); // a failure of an earlier call is not this one's
    run_product(linear, buffers, batch, stream);
    CUDA_TRY(cudaGetLastError(), "launching a product");
    CUDA_TRY(cudaMemcpyAsync(y, buffers.y, (size_t)batch * linear->rows() * 4, cudaMemcpyDeviceToHost, stream), "copying results back");
    CUDA_TRY(cudaStreamSynchronize(stream), "running a product");
    return RSR_CUDA_OK;
}

extern "C" rsr_cuda_status rsr_cuda_linear_matmul(rsr_cuda_linear * linear, const int8_t * x, uint32_t batch, int32_t * y) {
    rsr_cuda_clear_error();
    RSR_TRY(check_batch(linear, batch, "rsr_cuda_linear_matmul"));
    if (!x || !y) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_linear_matmul: x or y is NULL");
    if (linear->integer()) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_linear_matmul: integer weights give floats (rsr_cuda_integer_linear_matmul)");
    return matmul(linear, x, batch, y);
}

extern "C" rsr_cuda_status rsr_cuda_integer_linear_matmul(rsr_cuda_linear * linear, const int8_t * x, uint32_t batch, float * y) {
    rsr_cuda_clear_error();
    RSR_TRY(check_batch(linear, batch, "rsr_cuda_integer_linear_matmul"));
    if (!x || !y) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_integer_linear_matmul: x or y is NULL");
    if (!linear->integer()) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_integer_linear_matmul: ternary weights give int32 (rsr_cuda_linear_matmul)");
    return matmul(linear, x, batch, y);
}

extern "C" rsr_cuda_status rsr_cuda_linear_time(rsr_cuda_linear * linear, uint32_t batch, uint32_t runs, double * seconds) {
    rsr_cuda_clear_error();
    RSR_TRY(check_batch(linear, batch, "rsr_cuda_linear_time"));
    if (!seconds || runs == 0 || runs > 1000000) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_linear_time: seconds is NULL or runs is not 1 to 1000000");
    }
    CUDA_TRY(cudaSetDevice(linear->ctx->device), "selecting the CUDA device");
    product_buffers buffers;
    RSR_TRY(buffers.create_random(batch, linear->cols(), linear->rows()));
    if (linear->integer()) RSR_TRY(buffers.create_scratch(linear->planes, batch));
    return time_product(linear, buffers, batch, runs, linear->ctx->stream, seconds);
}
