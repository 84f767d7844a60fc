// dense.h: float and quantized row-major tensors (embeddings, the output head): row lookups and the
// matrix-vector product of the head, with per-type, per-ISA kernels.
#ifndef RSR_DENSE_H
#define RSR_DENSE_H

#include "internal.h"

// A head product in flight: W is rows x cols of `type`; x the f32 input, and for the integer types its
// int8 quantization (xq, scale xs: x ≈ xq / xs) and, for Q4_32, 8 x the sum of each 32-block of xq.
typedef struct dense_matvec {
    rsr_dtype type;
    const uint8_t * w;
    uint32_t rows, cols;
    const float * x;
    const int8_t * xq;
    float xs;
    int32_t xq_sum;          // sum of all of xq (Q8_ROW's unsigned-operand correction)
    const float * block_sums; // Q4_32: 8 * sum of xq over each 32-block
    float * y;
} dense_matvec;

// Computes y for rows [r0, r1).
typedef void (*dense_rows_fn)(const dense_matvec * m, uint32_t r0, uint32_t r1);

static inline uint64_t dense_q8_scales_offset(uint32_t rows, uint32_t cols) { return rsr_align_up((uint64_t)rows * cols); }
enum { Q4_BLOCK = 32, Q4_BLOCK_BYTES = 18 };

// Float types, several input vectors at once: y[v][rows] for rows [r0, r1) of every vector v < n of
// x[n][cols] (its sums may run in another order than the single-vector kernel's: a few ulps apart).
typedef void (*dense_float_batch_fn)(const dense_matvec * m, const float * x, float * y, uint32_t n, uint32_t r0, uint32_t r1);

void dense_rows_generic(const dense_matvec * m, uint32_t r0, uint32_t r1);
void dense_rows_avx512(const dense_matvec * m, uint32_t r0, uint32_t r1);
void dense_float_batch_avx512(const dense_matvec * m, const float * x, float * y, uint32_t n, uint32_t r0, uint32_t r1);

#endif
