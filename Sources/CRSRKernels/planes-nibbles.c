// planes-nibbles.c: building the nibble copy of a 4-bit bit-plane layout, and its one-vector product (the
// AVX-512 VNNI rows in arch/x86/planes-nibbles-avx512.c; elsewhere the planes' own product).
#include "planes-nibbles.h"

// 4 bits in groups that are whole 128-column steps (or one group per row), whole steps per row.
static rsr_status nibbles_eligible(const void * layout, uint64_t bytes) {
    const rsr_status s = rsr_planes_info(layout, bytes, NULL);
    if (s != RSR_OK) return s;
    const planes_header * h = layout;
    if (h->bits != 4 || h->cols % NIBBLES_STEP || (h->n_groups > 1 && h->group % NIBBLES_STEP)) return RSR_ERR_ARGUMENT;
    return RSR_OK;
}

rsr_status rsr_planes_nibbles_size(const void * layout, uint64_t bytes, uint64_t * nibble_bytes) {
    if (!nibble_bytes) return RSR_ERR_NULL;
    *nibble_bytes = 0;
    const rsr_status s = nibbles_eligible(layout, bytes);
    if (s != RSR_OK) return s;
    const nibbles_shape n = nibbles_shape_of(layout);
    *nibble_bytes = (uint64_t)n.rows * n.row_bytes;
    return RSR_OK;
}

typedef struct build_ctx {
    const planes_header * h;
    const uint8_t * base;
    nibbles_shape shape;
    uint8_t * nibbles;
    uint64_t spread[256]; // byte j of spread[p]: bit j of p
} build_ctx;

// The rows of quad q: scales and zero points copied, each plane's byte of 8 columns spread to one bit of
// 8 consecutive nibbles with one 64-bit or.
static void build_quad(void * raw, uint32_t q, int thread) {
    (void)thread;
    const build_ctx * c = raw;
    const planes_header * h = c->h;
    const nibbles_shape * n = &c->shape;
    const uint32_t nt = planes_quad_tiles(h, q);
    const uint8_t * group = planes_quad(h, c->base, q);
    for (uint32_t k = 0; k < nt; ++k) {
        for (uint32_t r = 0; r < PLANES_TILE; ++r) {
            const uint32_t row = (q * PLANES_QUAD + k) * PLANES_TILE + r;
            if (row < h->rows) memset(c->nibbles + (uint64_t)row * n->row_bytes, 0, n->row_bytes);
        }
    }
    for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, nt), ++g) {
        for (uint32_t k = 0; k < nt; ++k) {
            const uint8_t * scales = group + planes_scales_offset(h, g, nt, k);
            const uint8_t * zeros = n->zeros ? group + planes_zeros_offset(h, g, nt, k) : NULL;
            for (uint32_t r = 0; r < PLANES_TILE; ++r) {
                const uint32_t row = (q * PLANES_QUAD + k) * PLANES_TILE + r;
                if (row >= h->rows) break;
                uint8_t * out = c->nibbles + (uint64_t)row * n->row_bytes;
                const float d = planes_scale(h, scales, r);
                memcpy(out + 4 * g, &d, 4);
                if (zeros) out[4 * h->n_groups + g] = zeros[r];
                for (uint32_t t = 0; t < planes_group_tables(h, g); ++t) {
                    const uint32_t col = g * h->group + t * PLANES_GROUP_COLS, j = col % NIBBLES_STEP;
                    uint8_t * at = out + n->codes_offset + (uint64_t)(col / NIBBLES_STEP) * 64 + j % 64;
                    uint64_t word;
                    memcpy(&word, at, 8);
                    for (uint32_t i = 0; i < h->bits; ++i) {
                        const uint8_t pattern = (uint8_t)planes_decode(group[planes_code_offset(h, nt, t, i, k) + r]);
                        word |= c->spread[pattern] << (i + 4 * (j / 64));
                    }
                    memcpy(at, &word, 8);
                }
            }
        }
    }
}

rsr_status rsr_planes_nibbles_build(const void * layout, uint64_t bytes, void * nibbles, uint64_t nibble_bytes, rsr_pool * pool) {
    if (!nibbles) return RSR_ERR_NULL;
    uint64_t need;
    const rsr_status s = rsr_planes_nibbles_size(layout, bytes, &need);
    if (s != RSR_OK) return s;
    if (nibble_bytes < need || ((uintptr_t)nibbles & (RSR_ALIGN - 1))) return RSR_ERR_BUFFER;
    build_ctx * c = malloc(sizeof *c);
    if (!c) return RSR_ERR_NO_MEMORY;
    *c = (build_ctx){ .h = layout, .base = layout, .shape = nibbles_shape_of(layout), .nibbles = nibbles };
    for (uint32_t p = 0; p < 256; ++p) {
        c->spread[p] = 0;
        for (uint32_t j = 0; j < 8; ++j) c->spread[p] |= (uint64_t)(p >> j & 1) << (8 * j);
    }
    rsr_pool_run(pool, build_quad, c, planes_quads(c->h));
    free(c);
    return RSR_OK;
}

typedef struct nibbles_task {
    const nibbles_shape * shape;
    const uint8_t * nibbles;
    const planes_input * in;
    float * y;
    uint32_t rows_per_part;
} nibbles_task;

static void rows_task(void * raw, uint32_t part, int thread) {
    (void)thread;
    const nibbles_task * t = raw;
    const uint32_t r0 = part * t->rows_per_part, r1 = rsr_min_u32(r0 + t->rows_per_part, t->shape->rows);
#if defined(__x86_64__)
    if (r0 < r1) nibbles_rows_avx512(t->shape, t->nibbles, t->in, t->y, r0, r1);
#endif
}

rsr_status rsr_planes_matvec_nibbles(const void * layout, uint64_t bytes, const void * nibbles, uint64_t nibble_bytes,
                                     const int8_t * x, float * y, void * work, uint64_t work_bytes, rsr_pool * pool) {
    if (!x || !y || !work || !nibbles) return RSR_ERR_NULL;
    uint64_t need;
    rsr_status s = rsr_planes_nibbles_size(layout, bytes, &need);
    if (s != RSR_OK) return s;
    if (nibble_bytes < need) return RSR_ERR_BUFFER;
#if defined(__x86_64__)
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX512) {
        const int n_threads = rsr_pool_n(pool);
        if ((s = rsr_planes_work_size(layout, bytes, 1, n_threads, &need)) != RSR_OK) return s;
        if (work_bytes < need) return RSR_ERR_BUFFER;
        const planes_header * h = layout;
        uint8_t * aligned = (uint8_t *)(((uintptr_t)work + RSR_ALIGN - 1) & ~(uintptr_t)(RSR_ALIGN - 1));
        planes_prepare_input(h, layout, x, aligned);
        const planes_input in = planes_input_at(h, aligned);
        const nibbles_shape shape = nibbles_shape_of(h);
        // several parts a thread, in whole blocks of 4 rows, so that a late thread takes fewer
        const uint32_t parts = rsr_min_u32(rsr_div_up(h->rows, 4), (uint32_t)n_threads * 4);
        const nibbles_task t = { &shape, nibbles, &in, y, rsr_div_up(rsr_div_up(h->rows, parts), 4) * 4 };
        rsr_pool_run(pool, rows_task, (void *)&t, rsr_div_up(h->rows, t.rows_per_part));
        return RSR_OK;
    }
#endif
    return rsr_planes_matmul_i8(layout, bytes, x, 1, y, work, work_bytes, pool); // the same floats
}
