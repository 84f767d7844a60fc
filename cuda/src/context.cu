// context.cu: the ABI version, error messages, device discovery and contexts.
#include "common.cuh"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static thread_local char last_error[512];

extern "C" int rsr_cuda_abi_version(void) { return RSR_CUDA_ABI_VERSION; }

extern "C" const char * rsr_cuda_last_error(void) { return last_error; }

void rsr_cuda_clear_error(void) { last_error[0] = 0; }

rsr_cuda_status rsr_cuda_fail(rsr_cuda_status status, const char * format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(last_error, sizeof last_error, format, args);
    va_end(args);
    return status;
}

rsr_cuda_status rsr_cuda_fail_cuda(cudaError_t error, const char * doing) {
    switch (error) {
    case cudaErrorInsufficientDriver:
    case cudaErrorCallRequiresNewerDriver:
        return rsr_cuda_fail(RSR_CUDA_ERR_NO_DRIVER,
                             "%s: no NVIDIA driver that supports CUDA %d.%d was found (%s)", doing,
                             CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10, cudaGetErrorString(error));
    case cudaErrorNoDevice:
    case cudaErrorInvalidDevice:
        return rsr_cuda_fail(RSR_CUDA_ERR_NO_DEVICE, "%s: no CUDA device (%s)", doing, cudaGetErrorString(error));
    case cudaErrorMemoryAllocation:
        return rsr_cuda_fail(RSR_CUDA_ERR_OUT_OF_MEMORY, "%s: out of GPU memory", doing);
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorUnsupportedPtxVersion:
        return rsr_cuda_fail(RSR_CUDA_ERR_UNSUPPORTED,
                             "%s: this library has no code for the device's architecture (%s); rebuild it with "
                             "Scripts/build-cuda.sh", doing, cudaGetErrorString(error));
    default:
        return rsr_cuda_fail(RSR_CUDA_ERR_CUDA, "%s: %s (%s)", doing, cudaGetErrorString(error), cudaGetErrorName(error));
    }
}

extern "C" rsr_cuda_status rsr_cuda_device_count(int * count) {
    rsr_cuda_clear_error();
    if (!count) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_device_count: count is NULL");
    *count = 0;
    CUDA_TRY(cudaGetDeviceCount(count), "looking for CUDA devices");
    if (*count == 0) return rsr_cuda_fail(RSR_CUDA_ERR_NO_DEVICE, "looking for CUDA devices: the driver reports none");
    return RSR_CUDA_OK;
}

extern "C" rsr_cuda_status rsr_cuda_context_create(int device, rsr_cuda_context ** out) {
    rsr_cuda_clear_error();
    if (!out) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_context_create: out is NULL");
    *out = nullptr;
    int count = 0;
    RSR_TRY(rsr_cuda_device_count(&count));
    if (device < 0 || device >= count) {
        return rsr_cuda_fail(RSR_CUDA_ERR_NO_DEVICE, "there is no CUDA device %d (the driver reports %d)", device, count);
    }
    rsr_cuda_context * ctx = (rsr_cuda_context *)calloc(1, sizeof *ctx);
    if (!ctx) return rsr_cuda_fail(RSR_CUDA_ERR_OUT_OF_MEMORY, "out of host memory");
    ctx->device = device;
    cudaError_t e = cudaSetDevice(device);
    if (e == cudaSuccess) e = cudaGetDeviceProperties(&ctx->prop, device);
    if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking);
    if (e != cudaSuccess) {
        free(ctx);
        return rsr_cuda_fail_cuda(e, "opening the CUDA device");
    }
    if (ctx->prop.major < 7 || (ctx->prop.major == 7 && ctx->prop.minor < 5)) {
        const int major = ctx->prop.major, minor = ctx->prop.minor;
        cudaStreamDestroy(ctx->stream);
        free(ctx);
        return rsr_cuda_fail(RSR_CUDA_ERR_UNSUPPORTED, "device %d has compute capability %d.%d; rsr needs 7.5 or later",
                             device, major, minor);
    }
    *out = ctx;
    return RSR_CUDA_OK;
}

extern "C" void rsr_cuda_context_free(rsr_cuda_context * ctx) {
    if (!ctx) return;
    cudaSetDevice(ctx->device);
    cudaStreamSynchronize(ctx->stream);
    cudaStreamDestroy(ctx->stream);
    free(ctx);
}

extern "C" rsr_cuda_status rsr_cuda_device_info_get(rsr_cuda_context * ctx, rsr_cuda_device_info * info) {
    rsr_cuda_clear_error();
    if (!ctx || !info) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_device_info_get: a pointer is NULL");
    memset(info, 0, sizeof *info);
    CUDA_TRY(cudaSetDevice(ctx->device), "selecting the CUDA device");
    size_t free_bytes = 0, total_bytes = 0;
    CUDA_TRY(cudaMemGetInfo(&free_bytes, &total_bytes), "reading the device's free memory");
    snprintf(info->name, sizeof info->name, "%s", ctx->prop.name);
    info->compute_major = ctx->prop.major;
    info->compute_minor = ctx->prop.minor;
    info->multiprocessors = ctx->prop.multiProcessorCount;
    info->total_bytes = total_bytes;
    info->free_bytes = free_bytes;
    int clock_khz = 0, bus_bits = 0;
    if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, ctx->device) == cudaSuccess &&
        cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, ctx->device) == cudaSuccess) {
        info->memory_bandwidth = 2.0 * clock_khz * 1e3 * (bus_bits / 8); // double data rate
    }
    return RSR_CUDA_OK;
}
