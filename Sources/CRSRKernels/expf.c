// expf.c: the exponentials of attention's softmax and of SiLU, computed the way glibc's expf computes them
// (its FMA build, which x86-64 machines with AVX2 run): x / ln 2 splits into k / 32 and a remainder, 2^(k/32)
// comes from a table and the remainder's from a cubic, in doubles with fused multiply-adds, rounded to float
// once. The same steps in C and in every ISA's vector code give the same bits as the C library's expf, so
// vectorizing them changes no result.
#include "activations.h"

#include <math.h>

// asuint64(2^(i/32)) - (i << 47): adding k << 47 for k = 32 e + i gives 2^e * 2^(i/32).
const uint64_t act_exp2_table[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51, 0x3fef72b83c7d517b,
    0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1, 0x3fef06fe0a31b715, 0x3feef1a7373aa9cb,
    0x3feedea64c123422, 0x3feece086061892d, 0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429,
    0x3feea47eb03a5585, 0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d, 0x3feee89f995ad3ad,
    0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069, 0x3fef5818dcfba487, 0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
};

float act_expf(float x) {
    if (x != x) return x + x;
    if (x > ACT_EXP_OVERFLOW) return INFINITY;
    if (x < ACT_EXP_UNDERFLOW) return 0.0f;
    if (x < ACT_EXP_TINY) return 0x1p-149f;
    const double xd = x;
    const double kd = fma(ACT_EXP_INV_LN2_N, xd, ACT_EXP_SHIFT); // round to an integer in the low bits
    uint64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    const double k = kd - ACT_EXP_SHIFT, r = fma(ACT_EXP_INV_LN2_N, xd, -k);
    const uint64_t t = act_exp2_table[ki % 32] + (ki << 47);
    double s;
    memcpy(&s, &t, sizeof s);
    const double z = fma(ACT_EXP_C0, r, ACT_EXP_C1), r2 = r * r;
    const double y = fma(z, r2, fma(ACT_EXP_C2, r, 1.0));
    return (float)(y * s);
}

float act_softmax_generic(float * row, uint32_t n) {
    float max = -INFINITY, lanes[16] = { 0 };
    for (uint32_t p = 0; p < n; ++p) max = fmaxf(max, row[p]);
    for (uint32_t p = 0; p < n; ++p) {
        row[p] = act_expf(row[p] - max);
        lanes[p % 16] += row[p];
    }
    return act_pairwise16(lanes);
}

void act_silu_mul_generic(float * gate, const float * up, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
        const float g = gate[i], e = act_expf(-g), d = 1 + e, r = 1 / d, t = g * r;
        gate[i] = t * up[i];
    }
}

typedef struct silu_ctx {
    float * gate;
    const float * up;
    act_silu_mul_fn fn;
} silu_ctx;

static void silu_range(void * raw, uint64_t first, uint64_t count) {
    const silu_ctx * c = raw;
    c->fn(c->gate + first, c->up + first, count);
}

// Values per task: smaller arrays (a decoded token's) run on the calling thread.
#define SILU_TASK_VALUES (1u << 16)

rsr_status rsr_silu_mul_f32(float * gate, const float * up, uint64_t n, rsr_pool * pool) {
    if (!gate || !up) return RSR_ERR_NULL;
    silu_ctx c = { .gate = gate, .up = up, .fn = act_silu_mul_generic };
#if defined(__x86_64__)
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX2) c.fn = act_silu_mul_avx2;
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX512) c.fn = act_silu_mul_avx512;
#endif
    return rsr_pool_run_ranges(pool, n, SILU_TASK_VALUES, silu_range, &c);
}
