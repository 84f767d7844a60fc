// activations.h: per-row helpers of the transformer's non-ternary steps (attention dot products, weighted
// sums of values, int8 quantization), generic and per ISA. Every variant rounds exactly like the generic
// one, so the choice of ISA never changes a result.
#ifndef RSR_ACTIVATIONS_H
#define RSR_ACTIVATIONS_H

#include "internal.h"

typedef float (*act_dot_fn)(const float * a, const float * b, uint32_t n);
typedef void (*act_axpy_fn)(float * y, float a, const float * x, uint32_t n);
typedef float (*act_quantize_fn)(const float * x, uint32_t n, int8_t * q);

float act_dot_generic(const float * a, const float * b, uint32_t n);
void act_axpy_generic(float * y, float a, const float * x, uint32_t n);
float act_quantize_generic(const float * x, uint32_t n, int8_t * q);

#if defined(__x86_64__)
float act_dot_avx2(const float * a, const float * b, uint32_t n);
void act_axpy_avx2(float * y, float a, const float * x, uint32_t n);
float act_quantize_avx512(const float * x, uint32_t n, int8_t * q);
#endif

#endif
