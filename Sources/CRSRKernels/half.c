// half.c: IEEE half precision for caches of keys and values: f32 to halves rounded to nearest even and
// saturated at the largest half (a cache never holds an infinity it was not given as NaN), and back.
#include "activations.h"

#include <math.h>

// The largest half, 65504, as f32 bits: magnitudes from here on become it.
#define F16_MAX_BITS 0x477fe000u

void act_widen_generic(const uint16_t * h, uint64_t n, float * out) {
    for (uint64_t i = 0; i < n; ++i) out[i] = rsr_f16_to_f32(h[i]);
}

void act_narrow_generic(const float * x, uint64_t n, uint16_t * out) {
    for (uint64_t i = 0; i < n; ++i) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        const uint32_t sign = u >> 16 & 0x8000, a = u & 0x7fffffffu;
        uint32_t h;
        if (a > 0x7f800000u) { // NaN: quiet, the top of its payload kept, as vcvtps2ph does
            h = 0x7e00 | (a >> 13 & 0x3ff);
        } else if (a >= F16_MAX_BITS) {
            h = 0x7bff;
        } else if (a >= 0x38800000u) { // a normal half: the exponent rebased (127 - 15), 13 bits rounded off to even
            h = (a >> 13) - (112u << 10);
            const uint32_t rest = a & 0x1fff;
            if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
        } else { // a subnormal half or zero: |x| * 2^24 is exact, and rintf rounds it to even
            float f;
            memcpy(&f, &a, sizeof f);
            h = (uint32_t)rintf(f * 0x1p24f);
        }
        out[i] = (uint16_t)(sign | h);
    }
}

typedef struct narrow_ctx {
    const float * x;
    uint16_t * out;
    act_narrow_fn fn;
} narrow_ctx;

// Values per task: a decoded token's keys and values (a head's row) convert on the calling thread.
#define NARROW_TASK_VALUES 65536u

static void narrow_range(void * raw, uint64_t first, uint64_t count) {
    const narrow_ctx * c = raw;
    c->fn(c->x + first, count, c->out + first);
}

rsr_status rsr_f32_to_f16(const float * x, uint64_t n, uint16_t * out, rsr_pool * pool) {
    if (!x || !out) return RSR_ERR_NULL;
    narrow_ctx c = { .x = x, .out = out, .fn = act_narrow_generic };
#if defined(__x86_64__)
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX2 && rsr_x86_has_f16c()) c.fn = act_narrow_avx2;
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX512) c.fn = act_narrow_avx512;
#endif
    return rsr_pool_run_ranges(pool, n, NARROW_TASK_VALUES, narrow_range, &c);
}
