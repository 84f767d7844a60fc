// dense.h: float and quantized row-major tensors (embeddings, the output head): row lookups and the
// matrix-vector product of the head, with per-type, per-ISA kernels.
#ifndef RSR_DENSE_H
#define RSR_DENSE_H

#include "internal.h"

// A head product in flight: W is rows x cols of `type`; x the f32 input, and for the integer types its
// int8 quantization (xq, scale xs: x ≈ xq / xs) and the sums the block formats subtract their code offsets with.
typedef struct dense_matvec {
    rsr_dtype type;
    const uint8_t * w;
    uint32_t rows, cols;
    const float * x;
    const int8_t * xq;
    float xs;
    int32_t xq_sum;          // sum of all of xq (Q8_ROW's unsigned-operand correction)
    const float * block_sums; // Q4_32: 8 * sum of xq over each 32-block
    // Q6_256, for vector `lane` of a group of n (the vectors a batch kernel takes together; n = 1 alone): xq
    // (in dense_q6_order for the AVX-512 kernel, in natural order for the AVX2 one), block b at xq_q6 +
    // b * n * 256; and -32 * each 16-value part's sum of xq, where its dot starts (codes are q + 32), block
    // b's at part_starts + b * n * 16. Vector lane + 1's are 256 bytes and 16 sums further. The AVX2 kernel
    // takes the part sums as int16, negated (|sum| <= 16 * 128), at part_sums alike.
    const int8_t * xq_q6;
    const int32_t * part_starts;
    const int16_t * part_sums;
    float * y;
} dense_matvec;

// Computes y for rows [r0, r1).
typedef void (*dense_rows_fn)(const dense_matvec * m, uint32_t r0, uint32_t r1);

static inline uint64_t dense_q8_scales_offset(uint32_t rows, uint32_t cols) { return rsr_align_up((uint64_t)rows * cols); }

// Q8_ROW: row r's float scale, stored after the rows.
static inline float dense_q8_scale(const dense_matvec * m, uint32_t r) {
    float scale;
    memcpy(&scale, m->w + dense_q8_scales_offset(m->rows, m->cols) + (uint64_t)r * 4, 4);
    return scale;
}
enum { Q4_BLOCK = 32, Q4_BLOCK_BYTES = 18 };
// Q6_256: f16 d, 16 int8 scales, 128 bytes of nibbles, 64 of bit pairs.
enum { Q6_BLOCK = 256, Q6_BLOCK_BYTES = 210, Q6_SUB = 16, Q6_NIBBLES = 18, Q6_PAIRS = 146 };

// Value j (0..255) of a Q6_256 block, as its code 0..63 (w = d * s[j / 16] * (code - 32)).
static inline uint32_t dense_q6_code(const uint8_t * block, uint32_t j) {
    const uint32_t low = block[Q6_NIBBLES + j % 128] >> (4 * (j / 128)) & 15u;
    const uint32_t high = block[Q6_PAIRS + j % 64] >> (2 * (j / 64)) & 3u;
    return low | high << 4;
}

// Where value j of a 256-value block sits in the input the Q6_256 SIMD kernels read: lane l of register k
// (64 bytes) holds values 16 l + 4 k .. + 3, so that each lane sums one 16-value part.
static inline uint32_t dense_q6_order(uint32_t j) { return 64 * (j / 4 % 4) + 4 * (j / 16) + j % 4; }

static inline float dense_q6_d(const uint8_t * block) {
    uint16_t h;
    memcpy(&h, block, 2);
    return rsr_f16_to_f32(h);
}

static inline int32_t dense_q6_sub_scale(const uint8_t * block, uint32_t sub) { return (int8_t)block[2 + sub]; }

// Float types, several input vectors at once: y[v][rows] for rows [r0, r1) of every vector v < n of
// x[n][cols] (its sums may run in another order than the single-vector kernel's: a few ulps apart).
typedef void (*dense_float_batch_fn)(const dense_matvec * m, const float * x, float * y, uint32_t n, uint32_t r0, uint32_t r1);

// Integer types, several input vectors at once: m[v] is vector v < n (n <= DENSE_BATCH_VECTORS), each with
// its own xq, sums, xs and y; the rows [r0, r1) of each, in the same bits as one vector at a time.
enum { DENSE_BATCH_VECTORS = 8 };
typedef void (*dense_rows_batch_fn)(const dense_matvec * m, uint32_t n, uint32_t r0, uint32_t r1);

// The row loop of a Q6_256 batch kernel, as the body of each ISA's own function, for its
// `row_vectors(m, NB, row, out)`: NB is a constant in each case, so every vector's sums stay in registers.
// (A shared static function instead made clang spill the AVX2 8-vector loop further: 556 stack accesses
// against 308.)
#define DENSE_Q6_ROWS(row_vectors)                                                                           \
    const uint64_t row_bytes = (uint64_t)(m[0].cols / Q6_BLOCK) * Q6_BLOCK_BYTES;                            \
    float out[DENSE_BATCH_VECTORS];                                                                          \
    for (uint32_t r = r0; r < r1; ++r) {                                                                     \
        const uint8_t * row = m[0].w + r * row_bytes;                                                        \
        switch (n) {                                                                                         \
        case 1: row_vectors(m, 1, row, out); break;                                                          \
        case 2: row_vectors(m, 2, row, out); break;                                                          \
        case 3: row_vectors(m, 3, row, out); break;                                                          \
        case 4: row_vectors(m, 4, row, out); break;                                                          \
        case 5: row_vectors(m, 5, row, out); break;                                                          \
        case 6: row_vectors(m, 6, row, out); break;                                                          \
        case 7: row_vectors(m, 7, row, out); break;                                                          \
        default: row_vectors(m, 8, row, out); break;                                                         \
        }                                                                                                    \
        for (uint32_t v = 0; v < n; ++v) m[v].y[r] = out[v] / m[v].xs;                                       \
    }

void dense_rows_generic(const dense_matvec * m, uint32_t r0, uint32_t r1);
void dense_rows_avx512(const dense_matvec * m, uint32_t r0, uint32_t r1);
void dense_q6_rows_batch_avx512(const dense_matvec * m, uint32_t n, uint32_t r0, uint32_t r1);
void dense_rows_avx2(const dense_matvec * m, uint32_t r0, uint32_t r1);
void dense_f16_rows_avx2(const dense_matvec * m, uint32_t r0, uint32_t r1); // where rsr_x86_has_f16c()
void dense_q6_rows_batch_avx2(const dense_matvec * m, uint32_t n, uint32_t r0, uint32_t r1);
void dense_float_batch_avx512(const dense_matvec * m, const float * x, float * y, uint32_t n, uint32_t r0, uint32_t r1);

#endif
