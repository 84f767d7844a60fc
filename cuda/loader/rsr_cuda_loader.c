// rsr_cuda_loader.c: dlopen and dlsym for the CUDA backend library.
#include "rsr_cuda_loader.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define RESOLVE(field, symbol)                                                              \
    do {                                                                                    \
        *(void **)&api->field = dlsym(api->handle, #symbol);                                \
        if (!api->field) {                                                                  \
            snprintf(message, message_size, "%s has no function %s", path, #symbol);        \
            rsr_cuda_api_close(api);                                                        \
            return RSR_CUDA_LOAD_SYMBOL;                                                    \
        }                                                                                   \
    } while (0)

rsr_cuda_load_status rsr_cuda_api_open(const char * path, rsr_cuda_api * api, char * message, size_t message_size) {
    memset(api, 0, sizeof *api);
    if (message_size) message[0] = 0;
    api->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!api->handle) {
        const char * why = dlerror();
        snprintf(message, message_size, "%s", why ? why : "dlopen failed");
        return RSR_CUDA_LOAD_OPEN;
    }
    // the version first: a library of another ABI may lack or change the other functions
    RESOLVE(abi_version, rsr_cuda_abi_version);
    const int version = api->abi_version();
    if (version != RSR_CUDA_ABI_VERSION) {
        snprintf(message, message_size, "%s has ABI version %d; this rsr needs %d", path, version, RSR_CUDA_ABI_VERSION);
        rsr_cuda_api_close(api);
        return RSR_CUDA_LOAD_VERSION;
    }
    RESOLVE(last_error, rsr_cuda_last_error);
    RESOLVE(device_count, rsr_cuda_device_count);
    RESOLVE(context_create, rsr_cuda_context_create);
    RESOLVE(context_free, rsr_cuda_context_free);
    RESOLVE(device_info_get, rsr_cuda_device_info_get);
    RESOLVE(linear_create, rsr_cuda_linear_create);
    RESOLVE(linear_free, rsr_cuda_linear_free);
    RESOLVE(linear_kernel, rsr_cuda_linear_kernel);
    RESOLVE(linear_bytes, rsr_cuda_linear_bytes);
    RESOLVE(linear_matmul, rsr_cuda_linear_matmul);
    RESOLVE(linear_time, rsr_cuda_linear_time);
    RESOLVE(integer_linear_create, rsr_cuda_integer_linear_create);
    RESOLVE(integer_linear_matmul, rsr_cuda_integer_linear_matmul);
    RESOLVE(model_size, rsr_cuda_model_size);
    RESOLVE(model_create, rsr_cuda_model_create);
    RESOLVE(model_free, rsr_cuda_model_free);
    RESOLVE(model_reset, rsr_cuda_model_reset);
    RESOLVE(model_positions, rsr_cuda_model_positions);
    RESOLVE(model_kernel_counts, rsr_cuda_model_kernel_counts);
    RESOLVE(model_weight_bytes_per_token, rsr_cuda_model_weight_bytes_per_token);
    RESOLVE(model_forward, rsr_cuda_model_forward);
    return RSR_CUDA_LOAD_OK;
}

void rsr_cuda_api_close(rsr_cuda_api * api) {
    if (api->handle) dlclose(api->handle);
    memset(api, 0, sizeof *api);
}
