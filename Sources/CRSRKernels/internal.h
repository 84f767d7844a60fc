// internal.h: types shared by the kernel library's files; not part of the public ABI.
#ifndef RSR_INTERNAL_H
#define RSR_INTERNAL_H

#include "rsr.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define RSR_ALIGN 64u
#define RSR_LAYOUT_MAGIC 0x4c525352u // "RSRL" little-endian
#define RSR_LAYOUT_VERSION 1u

// Every layout starts with this header; sections follow at 64-byte aligned offsets.
typedef struct rsr_layout_header {
    uint32_t magic;
    uint16_t version;
    uint8_t  type;     // rsr_layout_type
    uint8_t  weights;  // rsr_weights
    uint32_t rows;
    uint32_t cols;
    uint32_t k;        // RSR: rows per block; RSRT: columns per group; PACKED_I2: tile side (16); SPARSE_I2: 256
    uint32_t flags;    // RSR_FLAG_*
    uint64_t bytes;    // total layout size
    uint64_t off[3];   // section offsets from the layout start
    uint32_t n_blocks; // RSR: row blocks; RSRT: 64-row tiles; PACKED_I2: 16-row tiles; SPARSE_I2: 256-row blocks
    uint32_t n_groups; // RSR: patterns per block; RSRT: column groups; PACKED_I2: 16-column tiles
} rsr_layout_header;

_Static_assert(sizeof(rsr_layout_header) == 64, "layout header is one cache line");

#define RSR_FLAG_WIDE 1u // RSR: 32-bit permutation indices and offsets (cols > 65535)

static inline uint64_t rsr_align_up(uint64_t n) { return (n + RSR_ALIGN - 1) & ~(uint64_t)(RSR_ALIGN - 1); }
static inline uint32_t rsr_div_up(uint32_t a, uint32_t b) { return (a + b - 1) / b; }
static inline uint32_t rsr_min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static inline uint32_t rsr_max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

static inline uint32_t rsr_ipow(uint32_t base, uint32_t e) {
    uint32_t r = 1;
    while (e--) r *= base;
    return r;
}

// Sum of n int8 values: int16 lanes take 256 values at a time (|sum| <= 2048 a lane), which compilers
// vectorize without widening every byte to int32.
static inline int32_t rsr_sum_i8(const int8_t * x, uint32_t n) {
    int32_t sum = 0;
    uint32_t c = 0;
    for (; c + 256 <= n; c += 256) {
        int16_t lanes[16] = {0};
        for (uint32_t i = 0; i < 256; i += 16) {
            for (uint32_t j = 0; j < 16; ++j) lanes[j] = (int16_t)(lanes[j] + x[c + i + j]);
        }
        for (uint32_t j = 0; j < 16; ++j) sum += lanes[j];
    }
    for (; c < n; ++c) sum += x[c];
    return sum;
}

// IEEE half and bfloat16 to float (scales and float tensors stored in 16 bits).
static inline float rsr_f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    union { uint32_t u; float f; } v;
    if (exponent == 0x1f) {
        v.u = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent == 0) {
        v.f = (float)mantissa * 0x1p-24f;
        v.u |= sign;
    } else {
        v.u = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    return v.f;
}

static inline float rsr_bf16_to_f32(uint16_t b) {
    union { uint32_t u; float f; } v = { .u = (uint32_t)b << 16 };
    return v.f;
}

// Zero is a shape error; past RSR_MAX_DIM the int32 results (up to cols * 128) and sizes could overflow.
static inline rsr_status rsr_check_dims(uint32_t rows, uint32_t cols) {
    if (rows < 1 || cols < 1) return RSR_ERR_SHAPE;
    return rows <= RSR_MAX_DIM && cols <= RSR_MAX_DIM ? RSR_OK : RSR_ERR_OVERFLOW;
}

static inline rsr_status rsr_check_batch(uint32_t batch) {
    if (batch < 1) return RSR_ERR_SHAPE;
    return batch <= RSR_MAX_BATCH ? RSR_OK : RSR_ERR_OVERFLOW;
}

// RSR_ERR_VALUE when a weight is outside the kind's values (layout.c).
rsr_status rsr_check_values(rsr_weights weights, const int8_t * w, uint64_t n);

// ---- Thread pool (pool.c) ---------------------------------------------------------------------------

// Runs fn(ctx, task, thread) for task in [0, n_tasks) on all threads of the pool (the caller is thread 0)
// and returns when every task is done. A NULL pool runs the tasks on the calling thread.
typedef void (*rsr_task_fn)(void * ctx, uint32_t task, int thread);
void rsr_pool_run(rsr_pool * pool, rsr_task_fn fn, void * ctx, uint32_t n_tasks);
static inline int rsr_pool_n(const rsr_pool * pool) { return pool ? rsr_pool_threads(pool) : 1; }

// Runs fn(ctx, first, count) over the items [0, n) in ranges of per_task (the last one shorter) on the pool:
// element-wise and row-wise steps whose tasks differ only in where they start. RSR_ERR_OVERFLOW past 2^32
// ranges.
typedef void (*rsr_range_fn)(void * ctx, uint64_t first, uint64_t count);
rsr_status rsr_pool_run_ranges(rsr_pool * pool, uint64_t n, uint64_t per_task, rsr_range_fn fn, void * ctx);

// ---- Products (dispatch.c) -------------------------------------------------------------------------

// Everything a product kernel needs, checked by the dispatcher before the kernel runs.
typedef struct rsr_product {
    const rsr_layout_header * h;
    const uint8_t * base;     // layout start
    const void *    x;        // [batch][cols] int8 or f32
    void *          y;        // [batch][rows] int32 or f32
    uint32_t        batch;
    uint8_t *       work;     // rsr_work_size() bytes, 64-byte aligned
    rsr_pool *      pool;
    int             n_threads;
} rsr_product;

typedef rsr_status (*rsr_product_fn)(const rsr_product * p);
// Products of one input with several layouts of one type, run as one (rsr_matmul_i8_many).
typedef rsr_status (*rsr_products_fn)(const rsr_product * const * p, uint32_t n);
typedef uint64_t (*rsr_work_fn)(const rsr_layout_header * h, rsr_act act, uint32_t batch, int n_threads);

// Per-layout entry points: builders and checks (ISA independent), work sizes and one product per
// activation type and ISA (NULL where an ISA has no specialised kernel: the dispatcher falls back).
typedef struct rsr_layout_traits {
    rsr_status (*k_range)(rsr_weights weights, uint32_t * k_min, uint32_t * k_max);
    rsr_status (*size)(rsr_weights weights, uint32_t rows, uint32_t cols, uint32_t k, rsr_layout_header * h);
    rsr_status (*build)(const int8_t * w, rsr_layout_header * h, uint8_t * base, rsr_pool * pool);
    rsr_status (*validate)(const rsr_layout_header * h, const uint8_t * base);
    void       (*unpack)(const rsr_layout_header * h, const uint8_t * base, int8_t * w);
    rsr_work_fn work_size;
    rsr_product_fn product[RSR_ACT_COUNT][RSR_ISA_COUNT];
} rsr_layout_traits;

// Dispatch-table entries for kernels in arch/x86/, which compile to nothing elsewhere.
#if defined(__x86_64__)
#define RSR_X86(f) f
#else
#define RSR_X86(f) NULL
#endif

#if defined(__x86_64__)
// F16C beside the AVX2 level (arch/x86/cpu-x86.c), for the kernels that convert halves.
bool rsr_x86_has_f16c(void);
#endif

extern const rsr_layout_traits rsr_traits_rsr;
extern const rsr_layout_traits rsr_traits_rsrt;
extern const rsr_layout_traits rsr_traits_i2;
extern const rsr_layout_traits rsr_traits_sparse_i2;
// rsr-t's, classical RSR's and packed-i2's shared products at a pool's ISA, NULL where it has none (the
// layouts must share columns, group size or k, and weights).
rsr_products_fn rsrt_products_i8(rsr_isa isa);
rsr_products_fn rsr_products_i8(rsr_isa isa);
rsr_products_fn i2_products_i8(rsr_isa isa);

// Offset of a thread's slice when work is split into n_threads slices of `slice` bytes each.
static inline uint8_t * rsr_thread_work(const rsr_product * p, uint64_t shared, uint64_t slice, int thread) {
    return p->work + shared + (uint64_t)thread * slice;
}

#endif // RSR_INTERNAL_H
