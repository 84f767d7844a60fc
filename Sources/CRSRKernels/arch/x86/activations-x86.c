// activations-x86.c: the attention dot product and value sums eight lanes wide (the generic code's eight
// partial sums, with separate multiplies and adds, so the sums are the same bits), and int8 quantization
// sixteen lanes wide (cvtps rounds half to even like rintf; the saturating narrow is the clamp).
#if defined(__x86_64__)

#include "../../activations.h"
#include "simd-x86.h"

__attribute__((target(RSR_TARGET_AVX2))) float act_dot_avx2(const float * a, const float * b, uint32_t n) {
    __m256 acc = _mm256_setzero_ps();
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    float lane[8];
    _mm256_storeu_ps(lane, acc);
    for (; i < n; ++i) {
        const float p = a[i] * b[i]; // one statement each: never fused into an fma
        lane[i % 8] += p;
    }
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

__attribute__((target(RSR_TARGET_AVX2))) void act_axpy_avx2(float * y, float a, const float * x, uint32_t n) {
    const __m256 va = _mm256_set1_ps(a);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(va, _mm256_loadu_ps(x + i))));
    for (; i < n; ++i) {
        const float p = a * x[i];
        y[i] += p;
    }
}

__attribute__((target(RSR_TARGET_AVX512))) float act_quantize_avx512(const float * x, uint32_t n, int8_t * q) {
    __m512 amax = _mm512_setzero_ps();
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
    if (i < n) amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_maskz_loadu_ps((__mmask16)((1u << (n - i)) - 1), x + i)));
    const float m = _mm512_reduce_max_ps(amax);
    const float s = 127.0f / (m > 1e-5f ? m : 1e-5f);
    const __m512 vs = _mm512_set1_ps(s);
    for (i = 0; i < n; i += 16) {
        const __mmask16 mask = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        const __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), vs));
        _mm_mask_storeu_epi8(q + i, mask, _mm512_cvtsepi32_epi8(v));
    }
    return s;
}

#endif
