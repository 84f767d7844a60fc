// activations.h: per-row helpers of the transformer's non-ternary steps (attention dot products, weighted
// sums of values, int8 quantization), generic and per ISA. Every variant rounds exactly like the generic
// one, so the choice of ISA never changes a result.
#ifndef RSR_ACTIVATIONS_H
#define RSR_ACTIVATIONS_H

#include "internal.h"

// scores[p] = (q . k[p]) * scale for p < n, with k[p] = k + p * stride: eight partial sums per dot product,
// added pairwise.
typedef void (*act_scores_fn)(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale,
                              float * scores);
// out += (weights[p] / total) * v[p] for p < n in order, with v[p] = v + p * stride (a caller that starts
// from zeros, or from the sums of earlier positions, gets the same bits as one pass).
typedef void (*act_weighted_sum_fn)(float * out, const float * weights, float total, const float * v, uint32_t n,
                                    uint32_t stride, uint32_t d);
// q = HF's int8 absmax quantization of x; returns the scale.
typedef float (*act_quantize_fn)(const float * x, uint32_t n, int8_t * q);

void act_scores_generic(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale, float * scores);
void act_weighted_sum_generic(float * out, const float * weights, float total, const float * v, uint32_t n, uint32_t stride, uint32_t d);
float act_quantize_generic(const float * x, uint32_t n, int8_t * q);

#if defined(__x86_64__)
void act_scores_avx2(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale, float * scores);
void act_weighted_sum_avx2(float * out, const float * weights, float total, const float * v, uint32_t n, uint32_t stride, uint32_t d);
float act_quantize_avx512(const float * x, uint32_t n, int8_t * q);
#endif

#endif
