// planes-layout.c: the bit-plane layout's public entry points: sizes, building, checks, the inverse, and
// the product's argument checks and dispatch.
#include "planes-layout.h"

static bool scale_type_ok(rsr_dtype t) { return t == RSR_DTYPE_F32 || t == RSR_DTYPE_F16 || t == RSR_DTYPE_BF16; }

// The header a layout of these parameters has.
static rsr_status plan(const rsr_planes_params * p, planes_header * h) {
    if (!p) return RSR_ERR_NULL;
    rsr_status s = rsr_check_dims(p->rows, p->cols);
    if (s != RSR_OK) return s;
    if (p->bits < 1 || p->bits > 8 || !scale_type_ok(p->scale_type) ||
        (p->flags & ~(RSR_PLANES_ZERO_POINTS | RSR_PLANES_PERMUTED | RSR_PLANES_PACKED))) return RSR_ERR_ARGUMENT;
    const bool packed = p->flags & RSR_PLANES_PACKED;
    if (packed && p->bits != 2 && p->bits != 4 && p->bits != 8) return RSR_ERR_ARGUMENT;
    const uint32_t padded = rsr_div_up(p->cols, PLANES_GROUP_COLS) * PLANES_GROUP_COLS;
    // packed: a group's blocks must not take the next group's columns
    const uint32_t multiple = packed ? rsr_max_u32(PLANES_GROUP_COLS, 32 / p->bits) : PLANES_GROUP_COLS;
    if (p->group == 0 || (p->group < p->cols && p->group % multiple)) return RSR_ERR_SHAPE;
    const uint32_t group = p->group < p->cols ? p->group : padded;
    // |2 sum (u - z) x| <= 2 * group * 128 * (2^bits - 1) must fit an int32
    if ((uint64_t)group * 256 * ((1u << p->bits) - 1) > INT32_MAX) return RSR_ERR_OVERFLOW;
    memset(h, 0, sizeof *h);
    h->magic = PLANES_MAGIC;
    h->version = PLANES_VERSION;
    h->bits = (uint8_t)p->bits;
    h->scale_type = (uint8_t)p->scale_type;
    h->rows = p->rows;
    h->cols = p->cols;
    h->group = group;
    h->flags = p->flags;
    h->n_tiles = rsr_div_up(p->rows, PLANES_TILE);
    h->n_groups = rsr_div_up(p->cols, group);
    uint64_t codes = sizeof *h;
    const uint32_t last = planes_quad_tiles(h, planes_quads(h) - 1);
    for (uint32_t g = 0; g < h->n_groups; ++g) {
        h->quad_bytes += planes_group_bytes(h, g, PLANES_QUAD);
        codes += planes_group_bytes(h, g, last);
    }
    codes += (uint64_t)(planes_quads(h) - 1) * h->quad_bytes;
    h->off_perm = p->flags & RSR_PLANES_PERMUTED ? codes : 0;
    h->bytes = rsr_align_up(codes + (h->off_perm ? (uint64_t)p->cols * 4 : 0));
    return RSR_OK;
}

static rsr_planes_params params_of(const planes_header * h) {
    return (rsr_planes_params){
        .rows = h->rows, .cols = h->cols, .bits = h->bits, .group = h->group,
        .scale_type = (rsr_dtype)h->scale_type, .flags = h->flags,
    };
}

rsr_status rsr_planes_size(const rsr_planes_params * params, uint64_t * bytes) {
    if (!bytes) return RSR_ERR_NULL;
    planes_header h;
    const rsr_status s = plan(params, &h);
    *bytes = s == RSR_OK ? h.bytes : 0;
    return s;
}

// ---- building ----------------------------------------------------------------------------------------------

typedef struct build_ctx {
    const planes_header * h;
    const uint8_t * u;
    const uint8_t * scales;
    const uint8_t * zeros;
    uint8_t * base;
} build_ctx;

// Stores the codes of row r of tile k over scale group g (u: the row's codes).
static void store_row_codes(const planes_header * h, uint8_t * group, uint32_t nt, uint32_t k, uint32_t r, uint32_t g, const uint8_t * u) {
    if (planes_packed(h)) {
        for (uint32_t col = 0; col < planes_group_cols(h, g); ++col) {
            uint32_t shift;
            const uint64_t at = planes_packed_at(h, nt, k, r, col, &shift);
            group[at] |= (uint8_t)(u[g * h->group + col] << shift);
        }
        return;
    }
    for (uint32_t t = 0; t < planes_group_tables(h, g); ++t) {
        for (uint32_t i = 0; i < h->bits; ++i) {
            uint32_t p = 0;
            for (uint32_t j = 0; j < PLANES_GROUP_COLS; ++j) {
                const uint32_t col = g * h->group + t * PLANES_GROUP_COLS + j;
                if (col < h->cols) p |= (uint32_t)(u[col] >> i & 1) << j;
            }
            group[planes_code_offset(h, nt, t, i, k) + r] = planes_encode(p);
        }
    }
}

// The code of column c (of scale group `group`) of row r of tile k.
static uint32_t code_at(const planes_header * h, const uint8_t * group, uint32_t nt, uint32_t k, uint32_t r, uint32_t c) {
    if (planes_packed(h)) return planes_packed_code(h, group, nt, k, r, c);
    uint32_t v = 0;
    for (uint32_t i = 0; i < h->bits; ++i) {
        const uint32_t pattern = planes_decode(group[planes_code_offset(h, nt, c / 8, i, k) + r]);
        v |= (pattern >> c % 8 & 1) << i;
    }
    return v;
}

static void build_quad(void * raw, uint32_t q, int thread) {
    const build_ctx * c = raw;
    const planes_header * h = c->h;
    const uint32_t ssize = planes_scale_size(h), nt = planes_quad_tiles(h, q);
    uint8_t * group = (uint8_t *)planes_quad(h, c->base, q);
    for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, nt), ++g) {
        for (uint32_t k = 0; k < nt; ++k) {
            for (uint32_t r = 0; r < PLANES_TILE; ++r) {
                const uint32_t row = (q * PLANES_QUAD + k) * PLANES_TILE + r;
                if (row >= h->rows) break; // padding rows stay zero: codes 0 (all-minus planes) times a zero scale
                store_row_codes(h, group, nt, k, r, g, c->u + (uint64_t)row * h->cols);
                const uint64_t at = (uint64_t)row * h->n_groups + g;
                memcpy(group + planes_scales_offset(h, g, nt, k) + r * ssize, c->scales + at * ssize, ssize);
                if (c->zeros) group[planes_zeros_offset(h, g, nt, k) + r] = c->zeros[at];
            }
        }
    }
}

static bool is_permutation(const uint32_t * perm, uint32_t n, uint8_t * seen) {
    memset(seen, 0, n);
    for (uint32_t i = 0; i < n; ++i) {
        if (perm[i] >= n || seen[perm[i]]) return false;
        seen[perm[i]] = 1;
    }
    return true;
}

rsr_status rsr_planes_build(const rsr_planes_params * params, const uint8_t * u, const void * scales,
                            const uint8_t * zeros, const uint32_t * perm, void * dst, uint64_t dst_bytes,
                            rsr_pool * pool) {
    if (!u || !scales || !dst) return RSR_ERR_NULL;
    planes_header h;
    rsr_status s = plan(params, &h);
    if (s != RSR_OK) return s;
    if (!(h.flags & RSR_PLANES_ZERO_POINTS) != !zeros || !(h.flags & RSR_PLANES_PERMUTED) != !perm) return RSR_ERR_ARGUMENT;
    if (dst_bytes < h.bytes) return RSR_ERR_BUFFER;
    const uint8_t max = (uint8_t)((1u << h.bits) - 1);
    uint8_t bad = 0;
    for (uint64_t i = 0; i < (uint64_t)h.rows * h.cols; ++i) bad |= u[i] > max;
    for (uint64_t i = 0; zeros && i < (uint64_t)h.rows * h.n_groups; ++i) bad |= zeros[i] > max;
    if (bad) return RSR_ERR_VALUE;
    uint8_t * base = dst;
    memset(base, 0, h.bytes);
    if (perm) {
        if (!is_permutation(perm, h.cols, base + sizeof h)) return RSR_ERR_VALUE; // the codes' room as scratch
        memset(base + sizeof h, 0, h.cols);
        memcpy(base + h.off_perm, perm, (size_t)h.cols * 4);
    }
    memcpy(base, &h, sizeof h);
    build_ctx c = { .h = &h, .u = u, .scales = scales, .zeros = zeros, .base = base };
    rsr_pool_run(pool, build_quad, &c, planes_quads(&h));
    return RSR_OK;
}

// ---- checks and the inverse ------------------------------------------------------------------------------

rsr_status rsr_planes_info(const void * layout, uint64_t bytes, rsr_planes_params * params) {
    if (!layout) return RSR_ERR_NULL;
    if (bytes < sizeof(planes_header)) return RSR_ERR_LAYOUT;
    planes_header h, expected;
    memcpy(&h, layout, sizeof h);
    if (h.magic != PLANES_MAGIC || h.version != PLANES_VERSION) return RSR_ERR_LAYOUT;
    // trusted only if it is exactly what plan() derives from its own parameters
    const rsr_planes_params p = params_of(&h);
    if (plan(&p, &expected) != RSR_OK || memcmp(&expected, &h, sizeof h) != 0 || h.bytes > bytes) return RSR_ERR_LAYOUT;
    if (params) *params = p;
    return RSR_OK;
}

// Packed: whether the columns past each group's end in its last block have code 0 (they read zero inputs
// only then).
static bool packed_padding_is_zero(const planes_header * h, const uint8_t * base) {
    for (uint32_t q = 0; q < planes_quads(h); ++q) {
        const uint32_t nt = planes_quad_tiles(h, q);
        const uint8_t * group = planes_quad(h, base, q);
        for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, nt), ++g) {
            for (uint32_t c = planes_group_cols(h, g); c < planes_group_blocks(h, g) * planes_block_cols(h); ++c) {
                for (uint32_t r = 0; r < nt * PLANES_TILE; ++r) {
                    if (planes_packed_code(h, group, nt, r / PLANES_TILE, r % PLANES_TILE, c)) return false;
                }
            }
        }
    }
    return true;
}

rsr_status rsr_planes_validate(const void * layout, uint64_t bytes, rsr_planes_params * params) {
    rsr_planes_params p;
    rsr_status s = rsr_planes_info(layout, bytes, &p);
    if (s != RSR_OK) return s;
    const planes_header * h = layout;
    const uint8_t * base = layout;
    const uint32_t max = (1u << h->bits) - 1;
    for (uint32_t q = 0; (h->flags & RSR_PLANES_ZERO_POINTS) && q < planes_quads(h); ++q) {
        const uint32_t nt = planes_quad_tiles(h, q);
        const uint8_t * group = planes_quad(h, base, q);
        for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, nt), ++g) {
            const uint8_t * zeros = group + planes_zeros_offset(h, g, nt, 0);
            for (uint32_t r = 0; r < nt * PLANES_TILE; ++r) if (zeros[r] > max) return RSR_ERR_LAYOUT;
        }
    }
    if (planes_packed(h) && !packed_padding_is_zero(h, base)) return RSR_ERR_LAYOUT;
    if (h->off_perm) {
        uint8_t * seen = malloc(h->cols);
        if (!seen) return RSR_ERR_NO_MEMORY;
        const bool ok = is_permutation(planes_perm(h, base), h->cols, seen);
        free(seen);
        if (!ok) return RSR_ERR_LAYOUT;
    }
    if (params) *params = p;
    return RSR_OK;
}

rsr_status rsr_planes_unpack(const void * layout, uint64_t bytes, uint8_t * u, void * scales, uint8_t * zeros,
                             uint32_t * perm) {
    if (!u || !scales) return RSR_ERR_NULL;
    rsr_planes_params p;
    const rsr_status s = rsr_planes_validate(layout, bytes, &p);
    if (s != RSR_OK) return s;
    const planes_header * h = layout;
    if ((zeros && !(h->flags & RSR_PLANES_ZERO_POINTS)) || (perm && !h->off_perm)) return RSR_ERR_ARGUMENT;
    const uint32_t ssize = planes_scale_size(h);
    for (uint32_t row = 0; row < h->rows; ++row) {
        const uint32_t tile = row / PLANES_TILE, q = tile / PLANES_QUAD, k = tile % PLANES_QUAD, r = row % PLANES_TILE;
        const uint32_t nt = planes_quad_tiles(h, q);
        const uint8_t * group = planes_quad(h, layout, q);
        for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, nt), ++g) {
            for (uint32_t c = 0; c < planes_group_cols(h, g); ++c) {
                u[(uint64_t)row * h->cols + g * h->group + c] = (uint8_t)code_at(h, group, nt, k, r, c);
            }
            const uint64_t at = (uint64_t)row * h->n_groups + g;
            memcpy((uint8_t *)scales + at * ssize, group + planes_scales_offset(h, g, nt, k) + r * ssize, ssize);
            if (zeros) zeros[at] = group[planes_zeros_offset(h, g, nt, k) + r];
        }
    }
    if (perm) memcpy(perm, planes_perm(h, layout), (size_t)h->cols * 4);
    return RSR_OK;
}

// ---- products ---------------------------------------------------------------------------------------------

void planes_prepare_input(const planes_header * h, const uint8_t * base, const int8_t * x, uint8_t * rec) {
    const uint32_t * perm = planes_perm(h, base);
    int8_t * xs = (int8_t *)rec;
    const uint64_t padded = planes_padded_cols(h);
    if (perm) for (uint32_t j = 0; j < h->cols; ++j) xs[j] = x[perm[j]];
    else memcpy(xs, x, h->cols);
    memset(xs + h->cols, 0, padded - h->cols);
    int32_t * sums = (int32_t *)(rec + padded);
    for (uint32_t g = 0; g < h->n_groups; ++g) sums[g] = rsr_sum_i8(xs + (uint64_t)g * h->group, planes_group_cols(h, g));
}

rsr_status rsr_planes_work_size(const void * layout, uint64_t bytes, uint32_t batch, int n_threads, uint64_t * work_bytes) {
    if (!work_bytes) return RSR_ERR_NULL;
    *work_bytes = 0;
    if (n_threads < 1 || n_threads > 256) return RSR_ERR_THREADS;
    rsr_status s = rsr_check_batch(batch);
    if (s != RSR_OK) return s;
    if ((s = rsr_planes_info(layout, bytes, NULL)) != RSR_OK) return s;
    const planes_header * h = layout;
    *work_bytes = (uint64_t)batch * planes_input_bytes(h) + (uint64_t)n_threads * planes_thread_bytes(h) + RSR_ALIGN;
    return RSR_OK;
}

rsr_status rsr_planes_matmul_i8(const void * layout, uint64_t bytes, const int8_t * x, uint32_t batch, float * y,
                                void * work, uint64_t work_bytes, rsr_pool * pool) {
    if (!x || !y || !work) return RSR_ERR_NULL;
    const int n_threads = rsr_pool_n(pool);
    uint64_t need;
    rsr_status s = rsr_planes_work_size(layout, bytes, batch, n_threads, &need);
    if (s != RSR_OK) return s;
    if (work_bytes < need) return RSR_ERR_BUFFER;
    const planes_header * h = layout;
    uint8_t * aligned = (uint8_t *)(((uintptr_t)work + RSR_ALIGN - 1) & ~(uintptr_t)(RSR_ALIGN - 1));
    for (uint32_t b = 0; b < batch; ++b) {
        planes_prepare_input(h, layout, x + (uint64_t)b * h->cols, aligned + (uint64_t)b * planes_input_bytes(h));
    }
    const planes_product p = {
        .h = h, .base = layout, .inputs = aligned, .y = y, .batch = batch,
        .work = aligned + (uint64_t)batch * planes_input_bytes(h), .thread_bytes = planes_thread_bytes(h),
        .pool = pool, .n_threads = n_threads,
    };
#if defined(__x86_64__)
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX512) {
        if (planes_use_batch(h, batch)) planes_batch_avx512(&p);
        else if (planes_packed(h)) planes_packed_avx512(&p);
        else planes_product_avx512(&p);
        return RSR_OK;
    }
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX2) {
        if (planes_packed(h)) planes_packed_avx2(&p);
        else planes_product_avx2(&p);
        return RSR_OK;
    }
#endif
    if (planes_packed(h)) planes_packed_generic(&p);
    else planes_product_generic(&p);
    return RSR_OK;
}
