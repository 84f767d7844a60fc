// rsr_cuda.h: the CUDA backend of rsr, a shared library (librsr_cuda.so) with a plain C ABI that rsr loads
// at run time with dlopen, so that rsr itself never links CUDA.
//
// A context owns one device. A model is uploaded once from host memory (the mmap'd model file's tensors
// and each projection's ternary values or integer codes); from then on prefill and decode keep everything on the GPU
// (weights, activations, KV cache) and only token ids go in and logits come out. The decode step is
// captured in a CUDA graph the first time it runs. With RSR_CUDA_PROFILE=1 in the environment, a model
// times each stage of its forward passes instead (launch by launch) and prints the totals to stderr when
// it is freed.
//
// Ternary projections run through one of two GPU kernels, chosen per shape by timing both at upload
// (prefill uses packed-i2, whose warps share weight loads across tokens):
//   RSR_CUDA_KERNEL_RSRT       transposed RSR: one byte per group of 5 columns, per-group tables of the
//                              input's pattern sums built in shared memory, rows add up table entries;
//   RSR_CUDA_KERNEL_PACKED_I2  2 bits per weight, decoded with shifts and masks into dp4a operands.
// Both produce the exact int32 W x of int8 activations, as the CPU kernels do.
//
// Integer projections (2- to 8-bit codes with group scales, rsr.h's bit-planes) run as bipolar bit-planes:
//   RSR_CUDA_KERNEL_BIT_PLANES per-chunk tables of the input's +-1 pattern sums in shared memory, looked up
//                              for every plane of every row (decode), or the planes unpacked in registers
//                              into u8 codes for Tensor Core mma (batches).
// Each scale group's sum is exact in int32 and the scales are applied in group order as on the CPU, so the
// floats are the CPU kernels' bit for bit.
//
// Every function returns an rsr_cuda_status; on an error rsr_cuda_last_error() tells what failed in a
// sentence (per thread, valid until the next call on that thread).
#ifndef RSR_CUDA_H
#define RSR_CUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RSR_CUDA_ABI_VERSION 2

#if defined(RSR_CUDA_BUILD)
#define RSR_CUDA_API __attribute__((visibility("default")))
#else
#define RSR_CUDA_API
#endif

typedef enum rsr_cuda_status {
    RSR_CUDA_OK               = 0,
    RSR_CUDA_ERR_ARGUMENT     = 1, // a NULL pointer, a size out of range, a value outside its kind
    RSR_CUDA_ERR_NO_DRIVER    = 2, // no NVIDIA driver, or one too old for this library's CUDA runtime
    RSR_CUDA_ERR_NO_DEVICE    = 3, // the driver sees no CUDA device (or not the one asked for)
    RSR_CUDA_ERR_OUT_OF_MEMORY = 4, // the device has too little free memory
    RSR_CUDA_ERR_UNSUPPORTED  = 5, // a tensor type, shape or architecture this library does not handle
    RSR_CUDA_ERR_CUDA         = 6, // any other CUDA runtime error (the message names it)
} rsr_cuda_status;

// The ABI version the library was built with; rsr refuses a library whose version differs from its own.
RSR_CUDA_API int rsr_cuda_abi_version(void);

// What the last failing call on this thread said (an empty string when none failed).
RSR_CUDA_API const char * rsr_cuda_last_error(void);

// Number of CUDA devices the driver reports.
RSR_CUDA_API rsr_cuda_status rsr_cuda_device_count(int * count);

// ---- Context -------------------------------------------------------------------------------------------

typedef struct rsr_cuda_context rsr_cuda_context;

typedef struct rsr_cuda_device_info {
    char     name[256];
    int      compute_major, compute_minor;
    int      multiprocessors;
    uint64_t total_bytes, free_bytes;
    double   memory_bandwidth; // bytes per second from the memory clock and bus width (0 when unknown)
} rsr_cuda_device_info;

RSR_CUDA_API rsr_cuda_status rsr_cuda_context_create(int device, rsr_cuda_context ** out);
RSR_CUDA_API void            rsr_cuda_context_free(rsr_cuda_context * ctx);
RSR_CUDA_API rsr_cuda_status rsr_cuda_device_info_get(rsr_cuda_context * ctx, rsr_cuda_device_info * info);

// ---- Single projections (kernel tests and benchmarks) --------------------------------------------------

typedef enum rsr_cuda_kernel {
    RSR_CUDA_KERNEL_AUTO      = 0, // time both at creation and keep the faster for batch 1
    RSR_CUDA_KERNEL_RSRT      = 1,
    RSR_CUDA_KERNEL_PACKED_I2 = 2,
    RSR_CUDA_KERNEL_BIT_PLANES = 3, // integer projections (never chosen for ternary ones)
    RSR_CUDA_KERNELS = 4,
} rsr_cuda_kernel;

typedef struct rsr_cuda_linear rsr_cuda_linear;

// Uploads W (rows x cols int8, row-major, every value in {-1, 0, 1}; binary matrices are the {0, 1} case)
// in the kernel's GPU layout.
RSR_CUDA_API rsr_cuda_status rsr_cuda_linear_create(rsr_cuda_context * ctx, rsr_cuda_kernel kernel, const int8_t * w,
                                                    uint32_t rows, uint32_t cols, rsr_cuda_linear ** out);
RSR_CUDA_API void            rsr_cuda_linear_free(rsr_cuda_linear * linear);
// The kernel this projection runs (never AUTO), and its GPU bytes.
RSR_CUDA_API rsr_cuda_kernel rsr_cuda_linear_kernel(const rsr_cuda_linear * linear);
RSR_CUDA_API uint64_t        rsr_cuda_linear_bytes(const rsr_cuda_linear * linear);
// y[batch][rows] = W x for host x[batch][cols] int8; y is the exact int32 product, copied back to the host.
RSR_CUDA_API rsr_cuda_status rsr_cuda_linear_matmul(rsr_cuda_linear * linear, const int8_t * x, uint32_t batch, int32_t * y);
// Integer weights: W[r][c] = scales[r][g] * (codes[r][c] - z[r][g]) over scale groups g of `group` consecutive
// stored columns, z the zero points or 2^(bits-1); stored column j is input column perm[j] (GPTQ's act order).
typedef struct rsr_cuda_integer {
    const uint8_t *  codes;  // rows x cols codes 0 .. 2^bits - 1, stored column order
    uint32_t         bits;   // 1..8
    uint32_t         group;  // a multiple of 8, or >= cols: one scale per row
    const float *    scales; // rows x groups
    const uint8_t *  zeros;  // rows x groups, or NULL
    const uint32_t * perm;   // cols, or NULL
} rsr_cuda_integer;

// Uploads integer weights as bit-planes (rsr_cuda_linear_kernel says RSR_CUDA_KERNEL_BIT_PLANES).
RSR_CUDA_API rsr_cuda_status rsr_cuda_integer_linear_create(rsr_cuda_context * ctx, const rsr_cuda_integer * w, uint32_t rows,
                                                            uint32_t cols, rsr_cuda_linear ** out);
// y[batch][rows] = W x for host x[batch][cols] int8: each group's exact sum times its scale, summed over the
// groups in order in f32, as rsr_planes_matmul_i8 computes it.
RSR_CUDA_API rsr_cuda_status rsr_cuda_integer_linear_matmul(rsr_cuda_linear * linear, const int8_t * x, uint32_t batch, float * y);
// Median time in seconds of `runs` products of a device-resident random batch (after a warm-up).
RSR_CUDA_API rsr_cuda_status rsr_cuda_linear_time(rsr_cuda_linear * linear, uint32_t batch, uint32_t runs, double * seconds);

// ---- Models ----------------------------------------------------------------------------------------------

typedef enum rsr_cuda_dtype { // as the kernel library's rsr_dtype
    RSR_CUDA_DTYPE_F32 = 0, RSR_CUDA_DTYPE_F16 = 1, RSR_CUDA_DTYPE_BF16 = 2,
    RSR_CUDA_DTYPE_Q8_ROW = 3, RSR_CUDA_DTYPE_Q4_32 = 4, RSR_CUDA_DTYPE_Q6_256 = 5,
} rsr_cuda_dtype;

typedef struct rsr_cuda_tensor {
    rsr_cuda_dtype type;
    uint32_t       rows, cols;
    const void *   data;  // host memory, read during rsr_cuda_model_create only
    uint64_t       bytes;
} rsr_cuda_tensor;

typedef struct rsr_cuda_projection {
    const int8_t * weights;     // rows x cols ternary values, host memory (NULL for integer weights)
    const rsr_cuda_integer * integer; // or integer weights: y = (W q) / s_x (+ bias); scale and divide unused
    uint32_t       rows, cols;
    float          scale;
    int            divide;      // 0: y = (W q) / s_x * scale; 1: y = (W q) / (scale * s_x)
    const float *  bias;        // rows floats or NULL
    const float *  input_norm;  // cols floats (RMSNorm of the input first) or NULL
} rsr_cuda_projection;

enum { RSR_CUDA_Q, RSR_CUDA_K, RSR_CUDA_V, RSR_CUDA_O, RSR_CUDA_GATE, RSR_CUDA_UP, RSR_CUDA_DOWN, RSR_CUDA_PROJECTIONS };

typedef struct rsr_cuda_block {
    const float * input_norm;          // hidden
    const float * post_attention_norm; // hidden
    const float * attention_sub_norm;  // heads * head_dim, or NULL
    const float * mlp_sub_norm;        // intermediate, or NULL
    rsr_cuda_projection projections[RSR_CUDA_PROJECTIONS];
} rsr_cuda_block;

typedef enum rsr_cuda_activation { RSR_CUDA_RELU2 = 0, RSR_CUDA_SILU = 1 } rsr_cuda_activation;

typedef struct rsr_cuda_model_desc {
    uint32_t vocab, hidden, intermediate, layers, heads, kv_heads, head_dim;
    rsr_cuda_activation activation;
    float    rms_norm_eps;
    float    input_norm_eps;      // for projections with input_norm
    uint32_t capacity;            // KV cache positions
    uint32_t max_batch;           // prompt tokens per prefill step
    const float * inv_freq;       // head_dim / 2 RoPE inverse frequencies, as the host computes them
    rsr_cuda_tensor embeddings;
    rsr_cuda_tensor head;         // the output head (the embeddings again when tied)
    const float * final_norm;     // hidden
    const rsr_cuda_block * blocks; // layers entries
    rsr_cuda_kernel kernel;       // for ternary projections. AUTO: per shape, the faster of the two for decode;
                                  // prefill then runs on packed-i2 (a second copy) where rsr-t won
} rsr_cuda_model_desc;

typedef struct rsr_cuda_model rsr_cuda_model;

// Device bytes the model would take (weights, cache, scratch), to check against free memory first.
RSR_CUDA_API rsr_cuda_status rsr_cuda_model_size(const rsr_cuda_model_desc * desc, uint64_t * bytes);
// Uploads the model; RSR_CUDA_ERR_OUT_OF_MEMORY, saying how much is needed and free, when it does not fit.
RSR_CUDA_API rsr_cuda_status rsr_cuda_model_create(rsr_cuda_context * ctx, const rsr_cuda_model_desc * desc, rsr_cuda_model ** out);
RSR_CUDA_API void            rsr_cuda_model_free(rsr_cuda_model * model);
// Forgets every cached position.
RSR_CUDA_API void            rsr_cuda_model_reset(rsr_cuda_model * model);
// Positions filled so far.
RSR_CUDA_API uint32_t        rsr_cuda_model_positions(const rsr_cuda_model * model);
// How many projections of the model run on each kernel (counts[RSR_CUDA_KERNEL_RSRT], ...: RSR_CUDA_KERNELS entries).
RSR_CUDA_API void            rsr_cuda_model_kernel_counts(const rsr_cuda_model * model, uint32_t counts[RSR_CUDA_KERNELS]);
// Bytes of weights one decoded token reads on the GPU: every projection's layout, the head, one embedding row.
RSR_CUDA_API uint64_t        rsr_cuda_model_weight_bytes_per_token(const rsr_cuda_model * model);
// Runs n_tokens tokens at the next positions (a prompt in max_batch steps, or one decoded token) and copies
// the logits after the last one to logits[vocab].
RSR_CUDA_API rsr_cuda_status rsr_cuda_model_forward(rsr_cuda_model * model, const int32_t * tokens, uint32_t n_tokens, float * logits);

#ifdef __cplusplus
}
#endif

#endif // RSR_CUDA_H
