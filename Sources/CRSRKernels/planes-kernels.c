// planes-kernels.c: the portable bit-plane product. Threads split the quads of 64-row tiles; each builds the tables
// of the current vector itself, then sums every plane of its rows through them, group by group.
#include "planes-layout.h"

#include <math.h>

// T[p] = sum_j (2 p_j - 1) x_j over the 8 columns of table group t, for the patterns p < 128 (column 7 is
// -1 in all of them; the others are their negations).
static void build_table(const int8_t * x, uint32_t t, int32_t * table) {
    const int8_t * xs = x + (uint64_t)t * PLANES_GROUP_COLS;
    int32_t all_minus = 0;
    for (uint32_t j = 0; j < PLANES_GROUP_COLS; ++j) all_minus -= xs[j];
    table[0] = all_minus;
    for (uint32_t j = 0, m = 1; j < PLANES_GROUP_COLS - 1; ++j, m *= 2) {
        for (uint32_t c = 0; c < m; ++c) table[m + c] = table[c] + 2 * xs[j];
    }
}

static void build_tables(const int8_t * x, uint32_t n_tables, uint8_t * tables) {
    for (uint32_t t = 0; t < n_tables; ++t) build_table(x, t, (int32_t *)tables + (uint64_t)t * PLANES_TABLE);
}

static void quads_task(void * raw, uint32_t part, int thread) {
    const planes_vector_task * c = raw;
    const planes_product * p = c->p;
    const planes_header * h = p->h;
    const planes_input in = c->in;
    uint32_t q0, q1;
    const int32_t * tables = (const int32_t *)planes_task_start(c, part, thread, build_tables, &q0, &q1);
    if (!tables) return;

    const int32_t max = (1 << h->bits) - 1;
    for (uint32_t q = q0; q < q1; ++q) {
        const uint32_t nt = planes_quad_tiles(h, q);
        for (uint32_t k = 0; k < nt; ++k) {
            const uint8_t * group = planes_quad(h, p->base, q);
            float y[PLANES_TILE] = { 0 };
            for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, nt), ++g) {
                const uint8_t * scales = group + planes_scales_offset(h, g, nt, k);
                const uint8_t * zeros = h->flags & RSR_PLANES_ZERO_POINTS ? group + planes_zeros_offset(h, g, nt, k) : NULL;
                int32_t sum[PLANES_TILE];
                for (uint32_t r = 0; r < PLANES_TILE; ++r) sum[r] = (max - 2 * (int32_t)planes_zero(h, zeros, r)) * in.group_sums[g];
                for (uint32_t t = 0; t < planes_group_tables(h, g); ++t) {
                    const int32_t * table = tables + ((uint64_t)g * h->group / PLANES_GROUP_COLS + t) * PLANES_TABLE;
                    for (uint32_t i = 0; i < h->bits; ++i) {
                        const uint8_t * codes = group + planes_code_offset(h, nt, t, i, k);
                        for (uint32_t r = 0; r < PLANES_TILE; ++r) {
                            const int32_t v = table[codes[r] & 0x7f];
                            sum[r] += (codes[r] & PLANES_SIGN ? -v : v) * (1 << i);
                        }
                    }
                }
                // sum is 2 sum (u - z) x: even
                for (uint32_t r = 0; r < PLANES_TILE; ++r) y[r] = fmaf(planes_scale(h, scales, r), (float)(sum[r] / 2), y[r]);
            }
            const uint32_t row0 = (q * PLANES_QUAD + k) * PLANES_TILE;
            if (row0 < h->rows) memcpy(p->y + (uint64_t)c->v * h->rows + row0, y, rsr_min_u32(PLANES_TILE, h->rows - row0) * sizeof *y);
        }
    }
}

void planes_product_generic(const planes_product * p) {
    planes_for_each_vector(p, quads_task, NULL);
}
