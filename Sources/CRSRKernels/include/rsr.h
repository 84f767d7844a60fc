// rsr.h: Redundant Segment Reduction (RSR) kernels for binary and ternary matrices.
//
// A weight matrix W (rows x cols, row-major, the way HF stores a Linear weight) is prepared once into a
// layout: a self-describing byte blob that kernels read in place (it can live in an mmap'd file). Products
// then compute y = W x for a batch of activation vectors. Every function returns an rsr_status; the library
// never aborts on bad arguments.
//
// Layouts
//   RSR_LAYOUT_RSR        classical RSR: rows in blocks of k; per block the columns sorted by their k-row
//                         pattern (permutation + segment offsets). One segmented sum per pattern, then a fold
//                         of the segment sums into the k outputs. Best for batches (prefill).
//   RSR_LAYOUT_RSRT       transposed RSR: columns in groups of 5 (ternary, 3^5 = 243 patterns) or 7 (binary,
//                         2^7 patterns); per row the group's pattern in one byte (1.6 or 1.14 bits/weight).
//                         Each group's patterns are summed once into a table; rows look their value up with
//                         byte permutes. Best for single vectors (decode).
//   RSR_LAYOUT_PACKED_I2  baseline: 2 bits per weight (w+1), 16x16 tiles, integer SIMD dot products.
//   RSR_LAYOUT_SPARSE_I2  the same codes by columns in 256-row blocks: a product reads and multiplies only the
//                         columns whose input is not zero (inputs after a relu² GLU are mostly zeros).
//
// Activations are int8 (BitNet's per-token absmax quantization; y is the exact int32 W x) or f32.
// Batches are row-major: x is [batch][cols], y is [batch][rows].

#ifndef RSR_H
#define RSR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RSR_ABI_VERSION 1

typedef enum rsr_status {
    RSR_OK              =   0,
    RSR_ERR_NULL        =  -1, // a required pointer is NULL
    RSR_ERR_SHAPE       =  -2, // rows, cols or batch out of range, or not matching the layout
    RSR_ERR_K_RANGE     =  -3, // k outside the range the layout supports
    RSR_ERR_OVERFLOW    =  -4, // a size computed from the arguments does not fit
    RSR_ERR_VALUE       =  -5, // a weight outside {0,1} (binary) or {-1,0,1} (ternary)
    RSR_ERR_BUFFER      =  -6, // a caller buffer is smaller than required
    RSR_ERR_LAYOUT      =  -7, // layout bytes are malformed (magic, version, offsets or indices)
    RSR_ERR_UNSUPPORTED =  -8, // this layout has no kernel for this activation type
    RSR_ERR_NO_MEMORY   =  -9,
    RSR_ERR_THREADS     = -10, // thread count out of range, or a thread could not be started
    RSR_ERR_ARGUMENT    = -11, // an enum value or option out of range
} rsr_status;

// A short English sentence for a status.
const char * rsr_status_string(rsr_status status);

// The ABI version this library was built with (RSR_ABI_VERSION).
int rsr_abi_version(void);

typedef enum rsr_weights {
    RSR_WEIGHTS_BINARY  = 0, // values {0, 1}
    RSR_WEIGHTS_TERNARY = 1, // values {-1, 0, +1}
    RSR_WEIGHTS_COUNT,
} rsr_weights;

typedef enum rsr_layout_type {
    RSR_LAYOUT_RSR       = 0,
    RSR_LAYOUT_RSRT      = 1,
    RSR_LAYOUT_PACKED_I2 = 2,
    RSR_LAYOUT_SPARSE_I2 = 3,
    RSR_LAYOUT_COUNT,
} rsr_layout_type;

// ---- CPU features and dispatch -------------------------------------------------------------------------

typedef enum rsr_isa {
    RSR_ISA_SCALAR = 0, // portable C
    RSR_ISA_AVX2   = 1, // x86-64 AVX2 + FMA + BMI2 + POPCNT
    RSR_ISA_AVX512 = 2, // x86-64 AVX-512 F/BW/VL/DQ + VNNI + VBMI + GFNI + F16C (Ice Lake, Zen 4 and later)
    RSR_ISA_COUNT,
} rsr_isa;

// Highest ISA this CPU and OS support.
rsr_isa rsr_isa_best(void);
// Nonzero when the CPU supports isa.
int rsr_isa_supported(rsr_isa isa);
// The x86 level that CPUID leaf 1 ECX, leaf 7 EBX and ECX and XCR0 allow: every feature the level's kernels
// are compiled for must be present (a virtual machine may hide some). Pure bit logic, on every architecture.
rsr_isa rsr_isa_x86_level(uint32_t leaf1_ecx, uint32_t leaf7_ebx, uint32_t leaf7_ecx, uint64_t xcr0);
// "scalar", "avx2", "avx512"; NULL when out of range.
const char * rsr_isa_name(rsr_isa isa);

// ---- Thread pool ---------------------------------------------------------------------------------------

// A persistent pool: n_threads - 1 workers plus the calling thread. Workers spin briefly after a job and
// then sleep, so back-to-back products pay no thread start-up. One product runs on a pool at a time.
typedef struct rsr_pool rsr_pool;

rsr_status rsr_pool_create(int n_threads, rsr_pool ** out);
void       rsr_pool_free(rsr_pool * pool);
int        rsr_pool_threads(const rsr_pool * pool);

// Products run on this pool use the best supported ISA not above limit (tests and benchmarks compare
// levels this way). Default: the best. A NULL pool always means the best.
rsr_status rsr_pool_set_isa(rsr_pool * pool, rsr_isa limit);
// The ISA products on this pool dispatch to.
rsr_isa    rsr_pool_isa(const rsr_pool * pool);
// Lets idle workers sleep at once instead of spinning, before handing the cores to another library's
// threads (OpenBLAS); the next product wakes them.
void       rsr_pool_park(rsr_pool * pool);

// ---- Layouts -------------------------------------------------------------------------------------------

// Limits: 1 <= rows, cols <= RSR_MAX_DIM; 1 <= batch <= RSR_MAX_BATCH. Zero is RSR_ERR_SHAPE; larger
// values are RSR_ERR_OVERFLOW (int32 results reach cols * 128 in magnitude).
#define RSR_MAX_DIM   (1u << 22)
#define RSR_MAX_BATCH (1u << 16)

typedef struct rsr_layout_info {
    rsr_layout_type type;
    rsr_weights     weights;
    uint32_t        rows;
    uint32_t        cols;
    uint32_t        k;     // RSR: rows per block; RSRT: columns per group; PACKED_I2: 16 (tile side);
                           // SPARSE_I2: 256 (rows per block)
    uint64_t        bytes; // total size of the layout, header included
} rsr_layout_info;

// Valid k for a layout: RSR binary 1..12, RSR ternary 1..8; the others take k = 0 (their fixed
// group size is reported back in rsr_layout_info.k).
rsr_status rsr_layout_k_range(rsr_layout_type type, rsr_weights weights, uint32_t * k_min, uint32_t * k_max);

// Bytes needed for the layout of a rows x cols matrix.
rsr_status rsr_layout_size(rsr_layout_type type, rsr_weights weights, uint32_t rows, uint32_t cols,
                           uint32_t k, uint64_t * bytes);

// Prepares W (rows x cols int8, row-major) into dst. Fails with RSR_ERR_VALUE on a weight outside the
// kind's values. pool may be NULL (single thread).
rsr_status rsr_layout_build(rsr_layout_type type, rsr_weights weights, const int8_t * w,
                            uint32_t rows, uint32_t cols, uint32_t k,
                            void * dst, uint64_t dst_bytes, rsr_pool * pool);

// Reads the header of layout bytes (O(1) checks). Products call this themselves.
rsr_status rsr_layout_info_get(const void * layout, uint64_t bytes, rsr_layout_info * info);

// Checks every index and offset of untrusted layout bytes (O(size)). Products trust a layout that came
// from rsr_layout_build or passed this check.
rsr_status rsr_layout_validate(const void * layout, uint64_t bytes, rsr_layout_info * info);

// Reconstructs W (rows x cols int8) from a layout.
rsr_status rsr_layout_unpack(const void * layout, uint64_t bytes, int8_t * w);

// ---- Products ------------------------------------------------------------------------------------------

typedef enum rsr_act {
    RSR_ACT_I8  = 0, // int8 activations, exact int32 results
    RSR_ACT_F32 = 1, // f32 activations and results
    RSR_ACT_COUNT,
} rsr_act;

// Scratch bytes a product needs for this batch and thread count (may be 0).
rsr_status rsr_work_size(const void * layout, uint64_t layout_bytes, rsr_act act, uint32_t batch,
                         int n_threads, uint64_t * bytes);

// y[batch][rows] = W x for x[batch][cols]. work must hold rsr_work_size() bytes for the pool's thread
// count (a NULL pool means one thread). Results do not depend on the thread count.
rsr_status rsr_matmul_i8(const void * layout, uint64_t layout_bytes, const int8_t * x, uint32_t batch,
                         int32_t * y, void * work, uint64_t work_bytes, rsr_pool * pool);
rsr_status rsr_matmul_f32(const void * layout, uint64_t layout_bytes, const float * x, uint32_t batch,
                          float * y, void * work, uint64_t work_bytes, rsr_pool * pool);

// Products of one input with n layouts (at most RSR_MANY_MAX; a layer's q, k and v, or gate and up):
// y[j] = W_j x, the same results as one rsr_matmul_i8 per layout. Where the layouts allow it (rsr-t of the
// same columns and weights, AVX-512; classical RSR of the same columns, k and weights at batches of two or
// more, AVX2 or AVX-512; packed-i2 of the same columns), what depends only on the input (rsr-t's tables,
// classical RSR's transposed input, packed-i2's padded input and sums) is built once and the products run as
// one job on the pool. work: rsr_work_size_many() bytes.
#define RSR_MANY_MAX 8u
rsr_status rsr_work_size_many(const void * const * layouts, const uint64_t * layout_bytes, uint32_t n, rsr_act act,
                              uint32_t batch, int n_threads, uint64_t * bytes);
rsr_status rsr_matmul_i8_many(const void * const * layouts, const uint64_t * layout_bytes, uint32_t n, const int8_t * x,
                              uint32_t batch, int32_t * const * y, void * work, uint64_t work_bytes, rsr_pool * pool);

// ---- Baselines -----------------------------------------------------------------------------------------

// dense-f32: y = W x with the float matrix, a plain loop per output (no blocking, no SIMD intrinsics).
rsr_status rsr_dense_f32(const float * w, uint32_t rows, uint32_t cols, const float * x, uint32_t batch,
                         float * y, rsr_pool * pool);

// openblas-f32: cblas_sgemv (batch 1) or cblas_sgemm on n_threads OpenBLAS threads.
rsr_status rsr_openblas_f32(const float * w, uint32_t rows, uint32_t cols, const float * x, uint32_t batch,
                            float * y, int n_threads);

// HF BitNet packing, as transformers' pack_weights writes it: packed[P][cols] with P = ceil(rows/4) and
// W[i*P + r][c] = ((packed[r][c] >> 2i) & 3) - 1 (rows past the end are packed as zeros).
rsr_status rsr_hf_pack_size(uint32_t rows, uint32_t cols, uint64_t * bytes);
rsr_status rsr_hf_pack(const int8_t * w, uint32_t rows, uint32_t cols, uint8_t * packed, uint64_t packed_bytes);

// The inverse of rsr_hf_pack for packed_rows x cols bytes: w gets (4 * packed_rows) x cols values.
// RSR_ERR_VALUE when a 2-bit code is 3 (not a ternary value); w is fully written either way.
rsr_status rsr_hf_unpack_i8(const uint8_t * packed, uint32_t packed_rows, uint32_t cols, int8_t * w, rsr_pool * pool);

// Absmean ternarisation as transformers' WeightQuant and 1bitLLM's weight_quant compute it: scale =
// 1 / max(mean |w|, 1e-5) in float, q = clamp(round_half_even(w * scale), -1, 1). W is q / scale.
// RSR_ERR_VALUE when the mean is not finite (w holds NaN or infinity).
rsr_status rsr_absmean_ternarize(const float * w, uint64_t n, int8_t * q, float * scale, rsr_pool * pool);

// hf-unpack: what transformers' BitLinear does per call for packed weights: unpack the whole matrix to
// float into scratch (rows*cols floats), then a dense OpenBLAS product.
rsr_status rsr_hf_unpack_f32(const uint8_t * packed, uint32_t rows, uint32_t cols, const float * x,
                             uint32_t batch, float * y, float * scratch, uint64_t scratch_floats,
                             rsr_pool * pool);

// ---- Dense tensors: embeddings and the output head ------------------------------------------------------

typedef enum rsr_dtype {
    RSR_DTYPE_F32    = 0,
    RSR_DTYPE_F16    = 1,
    RSR_DTYPE_BF16   = 2,
    RSR_DTYPE_Q8_ROW = 3, // rows x cols int8, zero padding to a multiple of 64 bytes, then rows f32 scales
    RSR_DTYPE_Q4_32  = 4, // per row, cols/32 blocks of an f16 scale d and 16 bytes of nibbles (ggml Q4_0)
    RSR_DTYPE_Q6_256 = 5, // per row, cols/256 blocks of 256 6-bit codes q (llama.cpp's Q6_K in another order): an
                          // f16 d, 16 int8 scales s (one per 16 values), 128 bytes of low nibbles (byte j: q[j],
                          // q[j + 128]), 64 bytes of high bit pairs (byte j: q[j], q[j + 64], q[j + 128],
                          // q[j + 192] from bit 0 up); w = d * s * (q - 32)
    RSR_DTYPE_COUNT,
} rsr_dtype;

// Bytes of a rows x cols tensor of the type (Q4_32 needs cols % 32 == 0, Q6_256 cols % 256 == 0).
rsr_status rsr_dense_size(rsr_dtype type, uint32_t rows, uint32_t cols, uint64_t * bytes);
// Quantizes float rows w[rows][cols] into a Q6_256 tensor at out (rsr_dense_size bytes), choosing scales as
// llama.cpp's Q6_K does. RSR_ERR_VALUE when w holds NaN or infinity or a scale overflows f16.
rsr_status rsr_q6_256_quantize(const float * w, uint32_t rows, uint32_t cols, void * out, uint64_t out_bytes);
// Row `row` as f32 (an embedding lookup).
rsr_status rsr_dense_row(rsr_dtype type, const void * w, uint64_t bytes, uint32_t rows, uint32_t cols,
                         uint32_t row, float * out);
// Scratch bytes rsr_dense_matvec needs (0 for the float types).
rsr_status rsr_dense_work_size(rsr_dtype type, uint32_t cols, uint64_t * bytes);
// y[rows] = W x for one f32 vector x[cols] (the output head). The quantized types multiply by x quantized
// to int8 with one scale, 127 / max|x|.
rsr_status rsr_dense_matvec(rsr_dtype type, const void * w, uint64_t bytes, uint32_t rows, uint32_t cols,
                            const float * x, float * y, void * work, uint64_t work_bytes, rsr_pool * pool);
// Scratch bytes rsr_dense_matmul needs for `batch` vectors (0 for the float types).
rsr_status rsr_dense_batch_work_size(rsr_dtype type, uint32_t cols, uint32_t batch, uint64_t * bytes);
// y[batch][rows] = W x[b] for each of `batch` f32 vectors x[batch][cols] (projections of float models, the
// head at every position). The integer types give each vector what rsr_dense_matvec gives it; the float
// types may sum in another order, within a few ulps of it.
rsr_status rsr_dense_matmul(rsr_dtype type, const void * w, uint64_t bytes, uint32_t rows, uint32_t cols,
                            const float * x, uint32_t batch, float * y, void * work, uint64_t work_bytes, rsr_pool * pool);

// ---- Integer weights as bit-planes ----------------------------------------------------------------------
//
// W[r][c] = d[r][g] * (u[r][c] - z[r][g]) for n-bit codes u in 0 .. 2^n - 1 (n = 1..8), scale groups g of
// `group` consecutive stored columns, scales d and zero points z (stored per group, or 2^(n-1) for every
// group: signed codes). Each code is n planes of +-1 (bipolar-INT), and a product looks every plane of a row
// up in one table of partial input sums per 8 columns, shared by all planes and rows.
//
// A permuted layout stores input column perm[j] as column j, so that a group may gather any columns
// (GPTQ's act order); u, scales and zero points are given in stored column order.

#define RSR_PLANES_ZERO_POINTS 1u // a zero point per row and group (otherwise 2^(bits-1))
#define RSR_PLANES_PERMUTED    2u // columns stored in the order of a permutation
// Codes packed whole in bytes instead of split into planes (2, 4 or 8 bits; groups a multiple of 32 / bits
// columns, or one per row), multiplied with int8 dot products instead of table lookups: the same sums in
// fewer operations per weight byte, so one core decodes near what it can read.
#define RSR_PLANES_PACKED      4u

typedef struct rsr_planes_params {
    uint32_t  rows, cols;
    uint32_t  bits;       // 1..8
    uint32_t  group;      // columns per scale group: a multiple of 8, or >= cols for one scale per row
    rsr_dtype scale_type; // F32, F16 or BF16
    uint32_t  flags;      // RSR_PLANES_*
} rsr_planes_params;

// Bytes of the layout. RSR_ERR_OVERFLOW when a group's exact int32 sum could overflow: 2 * group * 128 *
// (2^bits - 1) must stay below 2^31 (one scale per row of 8 bits allows 65535 columns).
rsr_status rsr_planes_size(const rsr_planes_params * params, uint64_t * bytes);
// Prepares codes u[rows][cols] (stored column order), scales [rows][groups] of scale_type (raw bytes, as
// stored), zero points [rows][groups] (RSR_PLANES_ZERO_POINTS only, else NULL) and perm[cols] (RSR_PLANES_
// PERMUTED only, else NULL). RSR_ERR_VALUE for a code or zero point past 2^bits - 1, or a perm that is not
// a permutation.
rsr_status rsr_planes_build(const rsr_planes_params * params, const uint8_t * u, const void * scales,
                            const uint8_t * zeros, const uint32_t * perm, void * dst, uint64_t dst_bytes,
                            rsr_pool * pool);
// Reads and checks a layout's header (O(1)); rsr_planes_validate also checks its zero points and
// permutation (O(size)). Products trust a layout that came from rsr_planes_build or passed validation.
rsr_status rsr_planes_info(const void * layout, uint64_t bytes, rsr_planes_params * params);
rsr_status rsr_planes_validate(const void * layout, uint64_t bytes, rsr_planes_params * params);
// The inverse of rsr_planes_build (zeros and perm may be NULL when the layout has none).
rsr_status rsr_planes_unpack(const void * layout, uint64_t bytes, uint8_t * u, void * scales, uint8_t * zeros,
                             uint32_t * perm);
// Scratch bytes of a product of `batch` vectors on n_threads threads.
rsr_status rsr_planes_work_size(const void * layout, uint64_t bytes, uint32_t batch, int n_threads, uint64_t * work_bytes);
// y[b][r] = sum_c W[r][c] x[b][c] for int8 x: each group's sum exact in int32, times its scale, summed in
// f32 over the groups in order. Results do not depend on the thread count or the ISA.
rsr_status rsr_planes_matmul_i8(const void * layout, uint64_t bytes, const int8_t * x, uint32_t batch, float * y,
                                void * work, uint64_t work_bytes, rsr_pool * pool);

// Round-to-nearest quantization of float w[rows][cols] to bits-bit codes (2..8) in groups of `group`
// columns (>= cols: one group per row), searching clipped ranges per group for the least squared error
// (weighted by w^2 + mean(w^2) with zero points). Symmetric: z = 2^(bits-1), d = r * absmax / (2^(bits-1) -
// 0.5) (llm-compressor's RTN at r = 1) or d = -r * extreme / 2^(bits-1) (ggml's Q4_0 at r = 1), r = 1, 0.97,
// ..., 0.55. Asymmetric: codes over r * [min(w, 0), max(w, 0)] with a zero point in zeros[rows][groups].
// Scales (scales[rows][groups]) are rounded to scale_type (F32, F16 or BF16) before the codes are chosen.
// RSR_ERR_VALUE when w holds NaN or infinity.
rsr_status rsr_quantize_groups(const float * w, uint32_t rows, uint32_t cols, uint32_t bits, uint32_t group,
                               int asymmetric, rsr_dtype scale_type, uint8_t * codes, float * scales, uint8_t * zeros,
                               rsr_pool * pool);

// ---- Transformer helpers ---------------------------------------------------------------------------------

// Per-row int8 quantization as BitNet's BitLinear does it: s = 127 / max(max|x|, 1e-5),
// q = clamp(round_half_even(x * s), -128, 127); scales[r] = s.
rsr_status rsr_quantize_i8(const float * x, uint32_t n_rows, uint32_t cols, int8_t * q, float * scales);
// The same, rows split over the pool (NULL: one thread).
rsr_status rsr_quantize_i8_rows(const float * x, uint32_t n_rows, uint32_t cols, int8_t * q, float * scales, rsr_pool * pool);

// A ternary product's int32 sums back to floats, per vector v of batch and row r of rows, in the order of
// operations of the checkpoint's class: y = (float)acc / s[v] * weight_scale (RSR_RESCALE_MULTIPLY,
// AutoBitLinear), or y = (float)acc / (weight_scale * s[v]) (RSR_RESCALE_DIVIDE, BitLinear); then y +=
// bias[r] when bias is not NULL. acc and y are [batch][rows]; large batches split over the pool.
typedef enum rsr_rescale_mode { RSR_RESCALE_MULTIPLY = 0, RSR_RESCALE_DIVIDE = 1 } rsr_rescale_mode;
rsr_status rsr_rescale_i32(const int32_t * acc, uint32_t batch, uint32_t rows, const float * scales, float weight_scale,
                           rsr_rescale_mode mode, const float * bias, float * y, rsr_pool * pool);

// out[r] = weight * (x[r] / sqrt(mean(x[r]^2) + eps)) for rows x[rows][cols], in f32 as transformers'
// RMSNorm, with the mean of squares summed in f64 in four chains (element c in chain c % 4). Rows split over
// the pool (NULL: one thread); out may not overlap x.
rsr_status rsr_rms_norm_f32(const float * x, uint32_t rows, uint32_t cols, const float * weight, float eps, float * out,
                            rsr_pool * pool);

// gate[i] = gate[i] * (1 / (1 + expf(-gate[i]))) * up[i] for i < n (SiLU times up, as transformers'
// GLU computes it in f32, with glibc's expf to the bit), large arrays split over the pool (NULL: one thread).
rsr_status rsr_silu_mul_f32(float * gate, const float * up, uint64_t n, rsr_pool * pool);

// gate[i] = g * g * up[i] with g = max(gate[i], 0) (0 >= gate[i] ? 0 : gate[i], so NaN stays NaN) for i < n:
// the relu² GLU in f32, large arrays split over the pool (NULL: one thread).
rsr_status rsr_relu2_mul_f32(float * gate, const float * up, uint64_t n, rsr_pool * pool);

// Rotary position embeddings in transformers' rotate-half convention, in place: for token t < tokens,
// head h < heads (rows of heads * head_dim values) and pair i < head_dim / 2, a = x[i] and b = x[i +
// head_dim / 2] become a * cos[t][i] - b * sin[t][i] and b * cos[t][i] + a * sin[t][i] (each product rounded
// to f32, then the sum). cos and sin are [tokens][head_dim / 2]. Tokens split over the pool (NULL: one
// thread).
rsr_status rsr_rope_f32(float * x, uint32_t tokens, uint32_t heads, uint32_t head_dim, const float * cos, const float * sin,
                        rsr_pool * pool);

// The index of the first largest of x[0 .. n-1] (NaNs are never largest, unless x[0] is NaN: then 0), as
// a scan keeping the first strictly larger value finds it.
rsr_status rsr_argmax_f32(const float * x, uint64_t n, uint64_t * index);

// Scratch bytes for attention over n_positions positions on n_threads threads.
rsr_status rsr_attention_work_size(uint32_t n_positions, int n_threads, uint64_t * bytes);
// Causal attention of n_tokens queries at positions start .. start + n_tokens - 1 over the cache's
// positions 0 .. start + n_tokens - 1: q and out are [n_tokens][n_heads][head_dim]; k and v are
// [n_kv][capacity][head_dim], so that a head's keys are one contiguous stream; head h reads KV head
// h / (n_heads / n_kv). Scores are scaled by 1 / sqrt(head_dim) and softmaxed in f32.
rsr_status rsr_attention_f32(const float * q, uint32_t n_tokens, uint32_t start, uint32_t n_heads, uint32_t n_kv,
                             uint32_t head_dim, uint32_t capacity, const float * k, const float * v, float * out,
                             void * work, uint64_t work_bytes, rsr_pool * pool);

// The same for several sequences at once, each at its own positions in its own cache, in one pass over the
// pool (each sequence's results are those of rsr_attention_f32 on it alone). The cache holds F32 or F16
// (IEEE half) values, `cache_type`; F16 values are widened to f32 as they are read, so an F16 cache gives
// the bits an F32 cache of the same (rounded) values gives. A cache here is paged: k and v
// are [n_kv][n_pages][page_positions][head_dim], and position p is row p % page_positions of page
// pages[p / page_positions], so that sequences can share pages and take them as they grow. A head's pages
// that follow each other in memory read as one stream (rsr_attention_f32's cache is one page of capacity
// positions). work is sized for the largest start + n_tokens. head_dim is at most 8192 (RSR_ERR_SHAPE past it).
#define RSR_ATTENTION_MAX_SEQUENCES 256u
typedef struct rsr_attention_sequence {
    const float * q;        // [n_tokens][n_heads][head_dim]
    float * out;            // [n_tokens][n_heads][head_dim]
    const void * k;         // [n_kv][n_pages][page_positions][head_dim] of the call's cache type
    const void * v;
    const uint32_t * pages; // at least ceil((start + n_tokens) / page_positions) indices below n_pages
    uint32_t n_tokens, start, page_positions, n_pages;
} rsr_attention_sequence;
rsr_status rsr_attention_sequences(const rsr_attention_sequence * seqs, uint32_t n_seqs, uint32_t n_heads, uint32_t n_kv,
                                   uint32_t head_dim, rsr_dtype cache_type, void * work, uint64_t work_bytes, rsr_pool * pool);

// x[0..n) as IEEE half, rounded to nearest even; values beyond the largest half (65504) become it (with
// their sign) instead of infinity, so that a key or value of a cache in halves is never infinite. NaN stays
// NaN. Large arrays split over the pool (NULL: one thread).
rsr_status rsr_f32_to_f16(const float * x, uint64_t n, uint16_t * out, rsr_pool * pool);

// ---- Measurement helpers -------------------------------------------------------------------------------

// Monotonic clock in nanoseconds.
uint64_t rsr_time_ns(void);

// STREAM-style read test: sums buf (bytes, 64-byte aligned, a multiple of 64) with wide loads on every
// thread of the pool; returns the number of bytes read per second in *bytes_per_s.
rsr_status rsr_read_bandwidth(const void * buf, uint64_t bytes, rsr_pool * pool, double * bytes_per_s);

// Last-level cache size in bytes as the OS reports it (0 when unknown).
uint64_t rsr_llc_bytes(void);

#ifdef __cplusplus
}
#endif

#endif // RSR_H
