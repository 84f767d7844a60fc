// rsr_cuda_loader.h: opens librsr_cuda.so at run time and resolves its functions, so that programs using
// the CUDA backend neither link CUDA nor fail to start where it is absent.
#ifndef RSR_CUDA_LOADER_H
#define RSR_CUDA_LOADER_H

#include "rsr_cuda.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rsr_cuda_api {
    void * handle;
    int               (*abi_version)(void);
    const char *      (*last_error)(void);
    rsr_cuda_status   (*device_count)(int * count);
    rsr_cuda_status   (*context_create)(int device, rsr_cuda_context ** out);
    void              (*context_free)(rsr_cuda_context * ctx);
    rsr_cuda_status   (*device_info_get)(rsr_cuda_context * ctx, rsr_cuda_device_info * info);
    rsr_cuda_status   (*linear_create)(rsr_cuda_context * ctx, rsr_cuda_kernel kernel, const int8_t * w, uint32_t rows,
                                       uint32_t cols, rsr_cuda_linear ** out);
    void              (*linear_free)(rsr_cuda_linear * linear);
    rsr_cuda_kernel   (*linear_kernel)(const rsr_cuda_linear * linear);
    uint64_t          (*linear_bytes)(const rsr_cuda_linear * linear);
    rsr_cuda_status   (*linear_matmul)(rsr_cuda_linear * linear, const int8_t * x, uint32_t batch, int32_t * y);
    rsr_cuda_status   (*linear_time)(rsr_cuda_linear * linear, uint32_t batch, uint32_t runs, double * seconds);
    rsr_cuda_status   (*integer_linear_create)(rsr_cuda_context * ctx, const rsr_cuda_integer * w, uint32_t rows, uint32_t cols,
                                               rsr_cuda_linear ** out);
    rsr_cuda_status   (*integer_linear_matmul)(rsr_cuda_linear * linear, const int8_t * x, uint32_t batch, float * y);
    rsr_cuda_status   (*model_size)(const rsr_cuda_model_desc * desc, uint64_t * bytes);
    rsr_cuda_status   (*model_create)(rsr_cuda_context * ctx, const rsr_cuda_model_desc * desc, rsr_cuda_model ** out);
    void              (*model_free)(rsr_cuda_model * model);
    void              (*model_reset)(rsr_cuda_model * model);
    uint32_t          (*model_positions)(const rsr_cuda_model * model);
    void              (*model_kernel_counts)(const rsr_cuda_model * model, uint32_t counts[RSR_CUDA_KERNELS]);
    uint64_t          (*model_weight_bytes_per_token)(const rsr_cuda_model * model);
    rsr_cuda_status   (*model_forward)(rsr_cuda_model * model, const int32_t * tokens, uint32_t n_tokens, float * logits);
} rsr_cuda_api;

typedef enum rsr_cuda_load_status {
    RSR_CUDA_LOAD_OK      = 0,
    RSR_CUDA_LOAD_OPEN    = 1, // dlopen failed (not found, not a shared library, a missing dependency)
    RSR_CUDA_LOAD_SYMBOL  = 2, // a function is missing: not an rsr CUDA library, or a different version
    RSR_CUDA_LOAD_VERSION = 3, // the library's rsr_cuda_abi_version() differs from RSR_CUDA_ABI_VERSION
} rsr_cuda_load_status;

// Opens the library at path and fills api. On failure api is cleared and message says why.
rsr_cuda_load_status rsr_cuda_api_open(const char * path, rsr_cuda_api * api, char * message, size_t message_size);
void rsr_cuda_api_close(rsr_cuda_api * api);

#ifdef __cplusplus
}
#endif

#endif // RSR_CUDA_LOADER_H
