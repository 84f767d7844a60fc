// packed-kernels.c: the products of packed integer codes one vector at a time: threads split the quads of
// 64-row tiles, and each quad goes through its kernel's quad product; the portable one here. Each row's
// group sum is sum u x less the zero point's share, exact in int32, times the group's scale.
#include "planes-layout.h"

#include <math.h>

// y (f32, [tile][64]) of a quad of nt tiles.
static void quad_product(const planes_header * h, const uint8_t * quad, uint32_t nt, const planes_input * in, float * y) {
    const uint32_t bits = h->bits, mask = (1u << bits) - 1, block_cols = planes_block_cols(h);
    for (uint32_t k = 0; k < nt; ++k) {
        const uint8_t * group = quad;
        float * out = y + k * PLANES_TILE;
        memset(out, 0, PLANES_TILE * sizeof *out);
        for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, nt), ++g) {
            const uint8_t * zeros = h->flags & RSR_PLANES_ZERO_POINTS ? group + planes_zeros_offset(h, g, nt, k) : NULL;
            const int8_t * x = in->x + (uint64_t)g * h->group;
            int32_t sum[PLANES_TILE];
            for (uint32_t r = 0; r < PLANES_TILE; ++r) sum[r] = -(int32_t)planes_zero(h, zeros, r) * in->group_sums[g];
            for (uint32_t b = 0; b < planes_group_blocks(h, g); ++b) {
                const uint8_t * w = group + planes_block_offset(nt, b, k);
                for (uint32_t col = 0; col < block_cols; ++col) {
                    const int32_t xv = x[b * block_cols + col];
                    const uint32_t shift = col / 4 * bits, j = col % 4;
                    for (uint32_t r = 0; r < PLANES_TILE; ++r) sum[r] += (int32_t)(w[4 * r + j] >> shift & mask) * xv;
                }
            }
            const uint8_t * scales = group + planes_scales_offset(h, g, nt, k);
            for (uint32_t r = 0; r < PLANES_TILE; ++r) out[r] = fmaf(planes_scale(h, scales, r), (float)sum[r], out[r]);
        }
    }
}

static void quads_task(void * raw, uint32_t part, int thread) {
    (void)thread;
    const planes_vector_task * c = raw;
    const planes_product * p = c->p;
    const planes_header * h = p->h;
    uint32_t q0, q1;
    if (!planes_part_quads(p, part, &q0, &q1)) return;
    _Alignas(64) float y[PLANES_QUAD * PLANES_TILE];
    for (uint32_t q = q0; q < q1; ++q) {
        const uint32_t nt = planes_quad_tiles(h, q), row0 = q * PLANES_QUAD * PLANES_TILE;
        c->quad(h, planes_quad(h, p->base, q), nt, &c->in, y);
        memcpy(p->y + (uint64_t)c->v * h->rows + row0, y, rsr_min_u32(nt * PLANES_TILE, h->rows - row0) * sizeof *y);
    }
}

void planes_packed_product(const planes_product * p, planes_quad_fn quad) {
    planes_for_each_vector(p, quads_task, quad);
}

void planes_packed_generic(const planes_product * p) {
    planes_packed_product(p, quad_product);
}
