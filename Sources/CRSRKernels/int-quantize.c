// int-quantize.c: round-to-nearest quantization of float weights to n-bit codes in scale groups, with a
// search per group over how far to clip its range (rsr_quantize_groups).
#include "internal.h"

#include <math.h>
#include <stdlib.h>

#define CLIP_STEPS 16 // clipping ratios 1, 0.97, ..., 0.55

// How much each weight's squared error counts: equally for symmetric codes; for asymmetric ones in
// proportion to w^2 + mean(w^2) over the group (llama.cpp's make_qkx2_quants weighs by a similar sum), which
// keeps large weights closer. Measured (docs/QUALITY.md): plain errors give symmetric codes the lowest
// perplexity and KL on both float Llamas tried; for zero points the weighted error wins on llama-float-tiny
// (2 bits: 22.60 against 23.31) and costs little on kjv-llama-float. A least-squares rescaling of each
// group's codes lost on both.
#define WEIGHT(x) (weighted ? (x) * (x) + sigma2 : 1.0f)

static float round_scale(float d, rsr_dtype type) {
    switch (type) {
    case RSR_DTYPE_F16: return (float)(_Float16)d;
    case RSR_DTYPE_BF16: {
        union { float f; uint32_t u; } v = { .f = d };
        v.u = (v.u + 0x7fff + (v.u >> 16 & 1)) & 0xffff0000u;
        return v.f;
    }
    default: return d;
    }
}

typedef struct quantize_ctx {
    const float * w;
    uint32_t rows, cols, bits, group, n_groups;
    bool asymmetric;
    rsr_dtype scale_type;
    uint8_t * codes;
    float * scales;
    uint8_t * zeros;
    uint8_t * trial; // [thread][group] codes under trial
    int bad;         // a non-finite weight
} quantize_ctx;

// x rounded half to even, as nearbyintf does in the default mode, for |x| <= 512 (values beyond are clamped
// to codes anyway): adding and subtracting 1.5 * 2^23 leaves no fraction bits. Inline, unlike nearbyintf
// without SSE4.1, so that the loop below vectorises.
static inline int round_even(float x) {
    x = x < -512.0f ? -512.0f : x > 512.0f ? 512.0f : x;
    return (int)((x + 0x1.8p23f) - 0x1.8p23f);
}

// Codes of w[0..n) for scale d and zero z, and their (weighted) squared error: f32 terms summed in blocks of
// eight, the blocks in f64. (The compiler keeps this loop scalar; a 16-layer 8B-shaped model quantizes in
// about 4 minutes on 2 cores.)
static double encode(const float * w, uint32_t n, float d, int z, int top, bool weighted, float sigma2, uint8_t * u) {
    double err = 0;
    const float inv = d != 0 ? 1.0f / d : 0;
    for (uint32_t i0 = 0; i0 < n; i0 += 8) {
        const uint32_t m = n - i0 < 8 ? n - i0 : 8;
        float part[8] = { 0 };
        for (uint32_t j = 0; j < m; ++j) {
            const float x = w[i0 + j];
            int q = round_even(x * inv) + z;
            q = q < 0 ? 0 : q > top ? top : q;
            const float e = x - d * (float)(q - z);
            part[j] = e * e * WEIGHT(x);
            u[i0 + j] = (uint8_t)q;
        }
        err += (double)(((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7])));
    }
    return err;
}

// The best of the clipped ranges for one group: symmetric codes around z = 2^(n-1) with scale
// r * absmax / (2^(n-1) - 0.5) (llm-compressor's RTN at r = 1) or -r * extreme / 2^(n-1); asymmetric codes
// over r * [min(w, 0), max(w, 0)].
static void quantize_group(const quantize_ctx * c, const float * w, uint32_t n, uint8_t * trial, uint8_t * u, float * scale,
                           uint8_t * zero) {
    const int top = (1 << c->bits) - 1, half = 1 << (c->bits - 1);
    float lo = 0, hi = 0;
    for (uint32_t i = 0; i < n; ++i) { lo = w[i] < lo ? w[i] : lo; hi = w[i] > hi ? w[i] : hi; }
    double best = INFINITY;
    *scale = 0;
    *zero = (uint8_t)(c->asymmetric ? 0 : half);
    if (hi == lo) { // all zero
        memset(u, *zero, n);
        return;
    }
    // symmetric codes reach -2^(n-1) but only 2^(n-1) - 1: the second half of the candidates puts the
    // extreme value on -2^(n-1) with a scale of its sign (ggml's Q4_0 rule at r = 1)
    const float extreme = -lo > hi ? lo : hi;
    double sum2 = 0;
    for (uint32_t i = 0; i < n; ++i) sum2 += (double)w[i] * w[i];
    const float sigma2 = (float)(sum2 / n);
    for (int step = 0; step < (c->asymmetric ? 1 : 2) * CLIP_STEPS; ++step) {
        const float r = 1.0f - 0.03f * (float)(step % CLIP_STEPS);
        float d;
        int z;
        if (c->asymmetric) {
            d = round_scale(r * (hi - lo) / (float)top, c->scale_type);
            if (d == 0) continue;
            z = round_even(-r * lo / d);
            z = z < 0 ? 0 : z > top ? top : z;
        } else {
            d = round_scale(step < CLIP_STEPS ? r * fabsf(extreme) / ((float)half - 0.5f) : -r * extreme / (float)half, c->scale_type);
            if (d == 0) continue;
            z = half;
        }
        double err = encode(w, n, d, z, top, c->asymmetric, sigma2, trial);
        if (err < best) {
            best = err;
            *scale = d;
            *zero = (uint8_t)z;
            memcpy(u, trial, n);
        }
    }
}

static void quantize_row(void * raw, uint32_t row, int thread) {
    quantize_ctx * c = raw;
    const float * w = c->w + (uint64_t)row * c->cols;
    for (uint32_t i = 0; i < c->cols; ++i) {
        if (!isfinite(w[i])) { c->bad = 1; return; }
    }
    for (uint32_t g = 0; g < c->n_groups; ++g) {
        const uint32_t c0 = g * c->group, n = rsr_min_u32(c->group, c->cols - c0);
        const uint64_t at = (uint64_t)row * c->n_groups + g;
        uint8_t zero;
        quantize_group(c, w + c0, n, c->trial + (uint64_t)thread * c->group, c->codes + (uint64_t)row * c->cols + c0, &c->scales[at], &zero);
        if (c->zeros) c->zeros[at] = zero;
    }
}

rsr_status rsr_quantize_groups(const float * w, uint32_t rows, uint32_t cols, uint32_t bits, uint32_t group,
                               int asymmetric, rsr_dtype scale_type, uint8_t * codes, float * scales, uint8_t * zeros,
                               rsr_pool * pool) {
    if (!w || !codes || !scales || (asymmetric && !zeros)) return RSR_ERR_NULL;
    const rsr_status s = rsr_check_dims(rows, cols);
    if (s != RSR_OK) return s;
    if (bits < 2 || bits > 8 || (scale_type != RSR_DTYPE_F32 && scale_type != RSR_DTYPE_F16 && scale_type != RSR_DTYPE_BF16)) return RSR_ERR_ARGUMENT;
    if (group == 0) return RSR_ERR_SHAPE;
    quantize_ctx c = {
        .w = w, .rows = rows, .cols = cols, .bits = bits, .group = group < cols ? group : cols,
        .asymmetric = asymmetric != 0, .scale_type = scale_type, .codes = codes, .scales = scales,
        .zeros = asymmetric ? zeros : NULL,
    };
    c.n_groups = rsr_div_up(cols, c.group);
    if (!(c.trial = malloc((size_t)rsr_pool_n(pool) * c.group))) return RSR_ERR_NO_MEMORY;
    rsr_pool_run(pool, quantize_row, &c, rows);
    free(c.trial);
    return c.bad ? RSR_ERR_VALUE : RSR_OK;
}
