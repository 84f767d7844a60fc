// activations.h: per-row helpers of the transformer's non-ternary steps (attention dot products, weighted
// sums of values, int8 quantization), generic and per ISA. Every variant rounds exactly like the generic
// one, so the choice of ISA never changes a result.
#ifndef RSR_ACTIVATIONS_H
#define RSR_ACTIVATIONS_H

#include "internal.h"

#include <math.h>

// The sum of sixteen partial sums, added pairwise: the order every dot product and softmax here ends in.
static inline float act_pairwise16(const float a[16]) {
    return (((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))) +
           (((a[8] + a[9]) + (a[10] + a[11])) + ((a[12] + a[13]) + (a[14] + a[15])));
}

// scores[p] = (q . k[p]) * scale for p < n, with k[p] = k + p * stride: sixteen partial sums per dot product
// (value i into sum i % 16 by a fused multiply-add), added as act_pairwise16 adds them.
typedef void (*act_scores_fn)(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale,
                              float * scores);
// out += (weights[p] / total) * v[p] for p < n in order, one fused multiply-add per value, with v[p] = v + p *
// stride (a caller that starts from zeros, or from the sums of earlier positions, gets the same bits as one
// pass).
typedef void (*act_weighted_sum_fn)(float * out, const float * weights, float total, const float * v, uint32_t n,
                                    uint32_t stride, uint32_t d);
// The same for two query rows over the same keys or values (two heads of a token): each row gets, bit for
// bit, what the one-row function gives it; a kernel may share the loads of k or v between the rows.
typedef void (*act_scores2_fn)(const float * q0, const float * q1, const float * k, uint32_t n, uint32_t stride, uint32_t d,
                               float scale, float * scores0, float * scores1);
typedef void (*act_weighted_sum2_fn)(float * out0, float * out1, const float * weights0, const float * weights1, float total0,
                                     float total1, const float * v, uint32_t n, uint32_t stride, uint32_t d);
// q = HF's int8 absmax quantization of x; returns the scale.
typedef float (*act_quantize_fn)(const float * x, uint32_t n, int8_t * q);
// Softmax numerators in place, row[p] = exp(row[p] - max) with max the row's largest; returns their sum,
// row[p] into partial sum p % 16 in order, added as act_pairwise16 adds them. exp is act_expf.
typedef float (*act_softmax_fn)(float * row, uint32_t n);

// gate[i] = gate[i] * (1 / (1 + exp(-gate[i]))) * up[i], in that order of f32 operations, exp as act_expf.
typedef void (*act_silu_mul_fn)(float * gate, const float * up, uint64_t n);
// IEEE halves to f32 (exact), and f32 to halves as rsr_f32_to_f16 rounds them (to even, saturating at 65504).
typedef void (*act_widen_fn)(const uint16_t * h, uint64_t n, float * out);
typedef void (*act_narrow_fn)(const float * x, uint64_t n, uint16_t * out);

// y[i] = (float)acc[i] / s * weight_scale, or (float)acc[i] / (weight_scale * s) with divide, then + bias[i]
// where a bias is given: those f32 operations in that order. A kernel may form a quotient a / b without a
// divide: from y = 1 / b rounded, q = a y is within an ulp of a / b, and one fused multiply-add of its
// exact remainder, q + (a - b q) y, rounds to a / b itself (Markstein's theorem), while nothing underflows:
// the kernels take that path for |b| in [2^-96, 2^96] (integers a: quotients from 2^-96 up to 2^127) and
// divide otherwise.
typedef void (*act_rescale_fn)(const int32_t * acc, uint32_t n, float s, float weight_scale, bool divide, const float * bias,
                               float * y);
// Whether a kernel may divide by b through its inverse (false for NaN, zero and infinities as well).
static inline bool act_rescale_by_inverse(float b) { return fabsf(b) >= 0x1p-96f && fabsf(b) <= 0x1p96f; }

// expf as glibc computes it (expf.c): the same float for every input.
float act_expf(float x);
extern const uint64_t act_exp2_table[32];
#define ACT_EXP_INV_LN2_N 0x1.71547652b82fep+5 // 32 / ln 2
#define ACT_EXP_SHIFT 0x1.8p+52
#define ACT_EXP_C0 0x1.c6af84b912394p-20 // the cubic of 2^(r/32), r in [-1/2, 1/2]
#define ACT_EXP_C1 0x1.ebfce50fac4f3p-13
#define ACT_EXP_C2 0x1.62e42ff0c52d6p-6
#define ACT_EXP_OVERFLOW 0x1.62e42ep6f    // above: inf
#define ACT_EXP_UNDERFLOW -0x1.9fe368p6f  // below: 0
#define ACT_EXP_TINY -0x1.9d1d9ep6f       // below (and not below the underflow): the least subnormal

void act_scores_generic(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale, float * scores);
void act_weighted_sum_generic(float * out, const float * weights, float total, const float * v, uint32_t n, uint32_t stride, uint32_t d);
float act_quantize_generic(const float * x, uint32_t n, int8_t * q);
// One value of HF's per-token absmax quantization at scale s: round half to even, clamp to [-128, 127]
// (NaN gives -128, as cvtps does).
static inline int8_t act_quantize_one(float x, float s) {
    const float v = rintf(x * s);
    return (int8_t)(v > 127.0f ? 127.0f : v >= -128.0f ? v : -128.0f);
}
float act_softmax_generic(float * row, uint32_t n);
void act_silu_mul_generic(float * gate, const float * up, uint64_t n);
void act_rescale_generic(const int32_t * acc, uint32_t n, float s, float weight_scale, bool divide, const float * bias, float * y);
void act_widen_generic(const uint16_t * h, uint64_t n, float * out);
void act_narrow_generic(const float * x, uint64_t n, uint16_t * out);

#if defined(__x86_64__)
void act_scores_avx2(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale, float * scores);
void act_scores_rows_avx2(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale, float * scores);
void act_scores_avx512(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale, float * scores);
void act_scores_rows_avx512(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale, float * scores);
void act_weighted_sum_avx2(float * out, const float * weights, float total, const float * v, uint32_t n, uint32_t stride, uint32_t d);
void act_weighted_sum_avx512(float * out, const float * weights, float total, const float * v, uint32_t n, uint32_t stride, uint32_t d);
void act_scores2_avx512(const float * q0, const float * q1, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale,
                        float * scores0, float * scores1);
void act_weighted_sum2_avx512(float * out0, float * out1, const float * weights0, const float * weights1, float total0, float total1,
                              const float * v, uint32_t n, uint32_t stride, uint32_t d);
float act_quantize_avx2(const float * x, uint32_t n, int8_t * q);
float act_quantize_avx512(const float * x, uint32_t n, int8_t * q);
float act_softmax_avx2(float * row, uint32_t n);
float act_softmax_avx512(float * row, uint32_t n);
void act_silu_mul_avx2(float * gate, const float * up, uint64_t n);
void act_silu_mul_avx512(float * gate, const float * up, uint64_t n);
void act_rescale_avx2(const int32_t * acc, uint32_t n, float s, float weight_scale, bool divide, const float * bias, float * y);
void act_rescale_avx512(const int32_t * acc, uint32_t n, float s, float weight_scale, bool divide, const float * bias, float * y);
void act_widen_avx2(const uint16_t * h, uint64_t n, float * out);  // where rsr_x86_has_f16c()
void act_narrow_avx2(const float * x, uint64_t n, uint16_t * out); // where rsr_x86_has_f16c()
void act_widen_avx512(const uint16_t * h, uint64_t n, float * out);
void act_narrow_avx512(const float * x, uint64_t n, uint16_t * out);
#endif

#endif
