// rsrt-kernels.c: portable transposed RSR products: per group a table of all pattern sums, then one
// table lookup per row and group. Same structure as the SIMD kernels: threads split the rows, each builds
// the tables it needs, and a quad's codes are read group by group with the group's table in L1.
#include "rsrt-layout.h"

typedef struct rsrt_ctx {
    const rsr_product * p;
    rsr_act act;
    uint32_t v;            // the current vector
    uint32_t n_parts;
} rsrt_ctx;

// T[c] for every pattern code c of group g, built digit by digit: after digit i, T holds the sums of the
// first i+1 columns for the base^(i+1) codes that use only those digits. Stored bytes index it directly:
// ternary bytes hold codes 0..121 (the sign is applied by the caller), binary bytes codes 0..127.
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

RSRT_DEFINE_TABLE(int32_t, int8_t, i8)
RSRT_DEFINE_TABLE(float, float, f32)

static void part_task(void * raw, uint32_t part, int thread) {
    const rsrt_ctx * c = raw;
    const rsr_layout_header * h = c->p->h;
    const uint32_t per_part = rsr_div_up(rsrt_quads(h), c->n_parts);
    const uint32_t q0 = part * per_part, q1 = rsr_min_u32(q0 + per_part, rsrt_quads(h));
    if (q0 >= q1) return;
    uint8_t * tables = c->p->work + (uint64_t)part * rsrt_portable_table_bytes(h);
    const uint64_t xoff = (uint64_t)c->v * h->cols;
    for (uint32_t g = 0; g < h->n_groups; ++g) {
        if (c->act == RSR_ACT_I8) table_i8(h, (const int8_t *)c->p->x + xoff, g, (int32_t *)tables + (uint64_t)g * RSRT_FULL_TABLE);
        else table_f32(h, (const float *)c->p->x + xoff, g, (float *)tables + (uint64_t)g * RSRT_FULL_TABLE);
    }
    for (uint32_t quad = q0; quad < q1; ++quad) {
        const uint8_t * codes = rsrt_quad_codes(h, c->p->base, quad);
        const uint32_t nt = rsrt_quad_tiles(h, quad), n = nt * RSRT_TILE, row0 = quad * RSRT_QUAD * RSRT_TILE;
        const uint32_t rows = rsr_min_u32(n, h->rows - row0);
        if (c->act == RSR_ACT_I8) {
            int32_t acc[RSRT_QUAD * RSRT_TILE] = { 0 };
            for (uint32_t g = 0; g < h->n_groups; ++g) {
                const int32_t * t = (const int32_t *)tables + (uint64_t)g * RSRT_FULL_TABLE;
                const uint8_t * b = codes + (uint64_t)g * n;
                for (uint32_t i = 0; i < n; ++i) {
                    const int32_t sign = -(int32_t)(b[i] >> 7); // 0 or -1: (v ^ sign) - sign negates
                    acc[i] += (t[b[i] & 0x7f] ^ sign) - sign;
                }
            }
            memcpy((int32_t *)c->p->y + xoff / h->cols * h->rows + row0, acc, rows * sizeof *acc);
        } else {
            float acc[RSRT_QUAD * RSRT_TILE] = { 0 };
            for (uint32_t g = 0; g < h->n_groups; ++g) {
                const float * t = (const float *)tables + (uint64_t)g * RSRT_FULL_TABLE;
                const uint8_t * b = codes + (uint64_t)g * n;
                for (uint32_t i = 0; i < n; ++i) acc[i] += b[i] & RSRT_SIGN ? -t[b[i] & 0x7f] : t[b[i]];
            }
            memcpy((float *)c->p->y + xoff / h->cols * h->rows + row0, acc, rows * sizeof *acc);
        }
    }
}

static rsr_status run_generic(const rsr_product * p, rsr_act act) {
    rsrt_ctx c = { .p = p, .act = act, .n_parts = rsr_min_u32((uint32_t)p->n_threads, rsrt_quads(p->h)) };
    for (c.v = 0; c.v < p->batch; ++c.v) rsr_pool_run(p->pool, part_task, &c, c.n_parts);
    return RSR_OK;
}

rsr_status rsr_product_i8_rsrt_generic(const rsr_product * p) { return run_generic(p, RSR_ACT_I8); }
rsr_status rsr_product_f32_rsrt_generic(const rsr_product * p) { return run_generic(p, RSR_ACT_F32); }
