// elementwise.c: a block's per-value steps that are not products or attention, split over the pool: rotary
// position embeddings and the relu² GLU. Plain loops the compiler vectorizes at any ISA (no fused
// multiply-adds: the build forbids contraction), so every thread count and machine gives the same floats.
#include "internal.h"

typedef struct rope_ctx {
    float * x;
    const float * cos, * sin;
    uint32_t heads, head_dim;
} rope_ctx;

static void rope_tokens(void * raw, uint64_t first, uint64_t count) {
    const rope_ctx * c = raw;
    const uint32_t half = c->head_dim / 2;
    for (uint64_t t = first; t < first + count; ++t) {
        const float * restrict cs = c->cos + t * half, * restrict sn = c->sin + t * half;
        for (uint32_t h = 0; h < c->heads; ++h) {
            float * restrict lo = c->x + (t * c->heads + h) * c->head_dim, * restrict hi = lo + half;
            for (uint32_t i = 0; i < half; ++i) {
                const float a = lo[i], b = hi[i];
                lo[i] = a * cs[i] - b * sn[i];
                hi[i] = b * cs[i] + a * sn[i];
            }
        }
    }
}

// Values per task: a decoded token's rows (a few thousand values) stay on the calling thread.
#define TASK_VALUES (1u << 16)

rsr_status rsr_rope_f32(float * x, uint32_t tokens, uint32_t heads, uint32_t head_dim, const float * cos, const float * sin,
                        rsr_pool * pool) {
    if (!x || !cos || !sin) return RSR_ERR_NULL;
    if (head_dim == 0 || head_dim % 2 || heads == 0) return RSR_ERR_SHAPE;
    rope_ctx c = { .x = x, .cos = cos, .sin = sin, .heads = heads, .head_dim = head_dim };
    const uint64_t per_token = (uint64_t)heads * head_dim;
    return rsr_pool_run_ranges(pool, tokens, per_token >= TASK_VALUES ? 1 : TASK_VALUES / per_token, rope_tokens, &c);
}

typedef struct glu_ctx {
    float * gate;
    const float * up;
} glu_ctx;

static void relu2_range(void * raw, uint64_t first, uint64_t count) {
    const glu_ctx * c = raw;
    float * restrict gate = c->gate + first;
    const float * restrict up = c->up + first;
    for (uint64_t i = 0; i < count; ++i) {
        const float g = 0.0f >= gate[i] ? 0.0f : gate[i]; // max(g, 0) keeping NaN, as Swift's max(g, 0)
        gate[i] = g * g * up[i];
    }
}

rsr_status rsr_relu2_mul_f32(float * gate, const float * up, uint64_t n, rsr_pool * pool) {
    if (!gate || !up) return RSR_ERR_NULL;
    glu_ctx c = { .gate = gate, .up = up };
    return rsr_pool_run_ranges(pool, n, TASK_VALUES, relu2_range, &c);
}
