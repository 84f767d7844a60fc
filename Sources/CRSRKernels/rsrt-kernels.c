// rsrt-kernels.c: portable transposed RSR products: per group a table of all pattern sums, then one
// table lookup per row and group.
#include "rsrt-layout.h"

typedef struct rsrt_ctx {
    const rsr_product * p;
    rsr_act act;
    uint32_t v0, nv;       // the vectors of this pass
    uint32_t per_task;
} rsrt_ctx;

static uint8_t * table_at(const rsrt_ctx * c, uint32_t v) {
    const rsr_layout_header * h = c->p->h;
    return c->p->work + (uint64_t)v * (rsr_align_up(rsrt_table_bytes(h, c->act)) + rsrt_input_bytes(h, c->act));
}

// T[code] for every code of group g, built digit by digit: after digit i, T holds the sums of the first
// i+1 columns for the base^(i+1) codes that use only those digits.
#define RSRT_DEFINE_TABLE(T, X, suffix)                                                          \
static void table_##suffix(const rsr_layout_header * h, const X * x, uint32_t g, T * t) {       \
    const uint32_t G = h->k, base = rsrt_base(h);                                               \
    const int zd = rsrt_zero_digit(h);                                                          \
    uint32_t m = 1;                                                                             \
    t[0] = 0;                                                                                   \
    for (uint32_t i = 0; i < G; ++i, m *= base) {                                               \
        const uint32_t col = g * G + i;                                                         \
        const T xi = col < h->cols ? (T)x[col] : 0;                                             \
        for (int j = (int)base - 1; j >= 0; --j) {                                              \
            for (uint32_t c = 0; c < m; ++c) t[(uint32_t)j * m + c] = t[c] + (T)(j - zd) * xi;  \
        }                                                                                       \
    }                                                                                           \
}

RSRT_DEFINE_TABLE(int16_t, int8_t, i8)
RSRT_DEFINE_TABLE(float, float, f32)

static void tables_task(void * raw, uint32_t task, int thread) {
    const rsrt_ctx * c = raw;
    const rsr_layout_header * h = c->p->h;
    const uint32_t groups_per_task = rsr_div_up(h->n_groups, (uint32_t)c->p->n_threads * 4);
    const uint32_t g0 = task * groups_per_task, g1 = rsr_min_u32(g0 + groups_per_task, h->n_groups);
    for (uint32_t v = 0; v < c->nv; ++v) {
        const uint64_t xoff = (uint64_t)(c->v0 + v) * h->cols;
        for (uint32_t g = g0; g < g1; ++g) {
            if (c->act == RSR_ACT_I8) table_i8(h, (const int8_t *)c->p->x + xoff, g, (int16_t *)table_at(c, v) + (uint64_t)g * RSRT_FULL_TABLE);
            else table_f32(h, (const float *)c->p->x + xoff, g, (float *)table_at(c, v) + (uint64_t)g * RSRT_FULL_TABLE);
        }
    }
}

static void lookup_task(void * raw, uint32_t task, int thread) {
    const rsrt_ctx * c = raw;
    const rsr_layout_header * h = c->p->h;
    const uint32_t q0 = task * c->per_task, q1 = rsr_min_u32(q0 + c->per_task, rsrt_quads(h));
    for (uint32_t quad = q0; quad < q1; ++quad) {
        const uint8_t * quad_codes = rsrt_quad_codes(h, c->p->base, quad);
        const uint32_t nt = rsrt_quad_tiles(h, quad);
        for (uint32_t r = 0; r < nt * RSRT_TILE && quad * RSRT_QUAD * RSRT_TILE + r < h->rows; ++r) {
            const uint64_t row = (uint64_t)quad * RSRT_QUAD * RSRT_TILE + r;
            const uint8_t * codes = quad_codes + (r / RSRT_TILE) * RSRT_TILE + r % RSRT_TILE; // group stride nt * 64
            for (uint32_t v = 0; v < c->nv; ++v) {
                const uint64_t yi = (uint64_t)(c->v0 + v) * h->rows + row;
                if (c->act == RSR_ACT_I8) {
                    const int16_t * t = (const int16_t *)table_at(c, v);
                    int32_t acc = 0;
                    for (uint32_t g = 0; g < h->n_groups; ++g) acc += t[(uint64_t)g * RSRT_FULL_TABLE + rsrt_decode(h, codes[(uint64_t)g * nt * RSRT_TILE])];
                    ((int32_t *)c->p->y)[yi] = acc;
                } else {
                    const float * t = (const float *)table_at(c, v);
                    float acc = 0;
                    for (uint32_t g = 0; g < h->n_groups; ++g) acc += t[(uint64_t)g * RSRT_FULL_TABLE + rsrt_decode(h, codes[(uint64_t)g * nt * RSRT_TILE])];
                    ((float *)c->p->y)[yi] = acc;
                }
            }
        }
    }
}

static rsr_status run_generic(const rsr_product * p, rsr_act act) {
    const uint32_t per_pass = rsrt_vectors_per_pass(p->batch);
    for (uint32_t v0 = 0; v0 < p->batch; v0 += per_pass) {
        rsrt_ctx c = { .p = p, .act = act, .v0 = v0, .nv = rsr_min_u32(per_pass, p->batch - v0),
                       .per_task = rsrt_quads_per_task(p->h, p->n_threads) };
        rsr_pool_run(p->pool, tables_task, &c, rsr_div_up(p->h->n_groups, rsr_div_up(p->h->n_groups, (uint32_t)p->n_threads * 4)));
        rsr_pool_run(p->pool, lookup_task, &c, rsr_div_up(rsrt_quads(p->h), c.per_task));
    }
    return RSR_OK;
}

rsr_status rsr_product_i8_rsrt_generic(const rsr_product * p) { return run_generic(p, RSR_ACT_I8); }
rsr_status rsr_product_f32_rsrt_generic(const rsr_product * p) { return run_generic(p, RSR_ACT_F32); }
