// rsrt-layout.c: transposed RSR preprocessing (pattern codes per column group), checks and inverse.
#include "rsrt-layout.h"

static rsr_status rsrt_k_range(rsr_weights weights, uint32_t * k_min, uint32_t * k_max) {
    *k_min = *k_max = 0; // the group size is fixed by the weight kind
    return RSR_OK;
}

static rsr_status rsrt_size(rsr_weights weights, uint32_t rows, uint32_t cols, uint32_t k, rsr_layout_header * h) {
    h->k = rsrt_group_cols(weights);
    h->n_blocks = rsr_div_up(rows, RSRT_TILE);
    h->n_groups = rsr_div_up(cols, h->k);
    h->off[0] = rsr_align_up(sizeof *h);
    h->bytes = rsr_align_up(h->off[0] + (uint64_t)h->n_blocks * h->n_groups * RSRT_TILE);
    return RSR_OK;
}

typedef struct build_ctx {
    const int8_t * w;
    const rsr_layout_header * h;
    uint8_t * base;
} build_ctx;

static void build_tile(void * raw, uint32_t tile, int thread) {
    const build_ctx * c = raw;
    const rsr_layout_header * h = c->h;
    const uint32_t G = h->k, base = rsrt_base(h), zd = (uint32_t)rsrt_zero_digit(h);
    for (uint32_t row = tile * RSRT_TILE; row < (tile + 1) * RSRT_TILE; ++row) {
        const int8_t * w = row < h->rows ? c->w + (uint64_t)row * h->cols : NULL;
        for (uint32_t g = 0; g < h->n_groups; ++g) {
            uint32_t code = 0, mul = 1;
            for (uint32_t i = 0; i < G; ++i, mul *= base) {
                const uint32_t col = g * G + i;
                code += (w && col < h->cols ? (uint32_t)(w[col] + (int)zd) : zd) * mul;
            }
            c->base[rsrt_code_offset(h, row, g)] = rsrt_encode(h, code);
        }
    }
}

static rsr_status rsrt_build(const int8_t * w, rsr_layout_header * h, uint8_t * base, rsr_pool * pool) {
    build_ctx c = { .w = w, .h = h, .base = base };
    rsr_pool_run(pool, build_tile, &c, h->n_blocks);
    return RSR_OK;
}

// Every code byte must decode (rsrt_byte_valid). The largest index over a chunk, a loop without a branch
// that compilers turn into byte maxima, decides.
static rsr_status rsrt_validate(const rsr_layout_header * h, const uint8_t * base) {
    const uint8_t * codes = base + h->off[0];
    const uint64_t n = (uint64_t)h->n_blocks * h->n_groups * RSRT_TILE;
    const uint8_t mask = rsrt_index_bits(h), largest = rsrt_largest_index(h);
    for (uint64_t i0 = 0; i0 < n; i0 += 65536) {
        const uint64_t i1 = i0 + 65536 < n ? i0 + 65536 : n;
        uint8_t top = 0;
        for (uint64_t i = i0; i < i1; ++i) {
            const uint8_t code = codes[i] & mask;
            top = code > top ? code : top;
        }
        if (top > largest) return RSR_ERR_LAYOUT;
    }
    return RSR_OK;
}

// Each of the 256 bytes is decoded to its group's weights once, so that a group costs a table row's copy
// rather than a digit division per weight. Validation has passed: every stored byte decodes.
static void rsrt_unpack(const rsr_layout_header * h, const uint8_t * base, int8_t * w) {
    const uint32_t G = h->k, b = rsrt_base(h);
    const int zd = rsrt_zero_digit(h);
    int8_t group_values[256][8];
    for (uint32_t byte = 0; byte < 256; ++byte) {
        uint32_t digits = rsrt_byte_valid(h, (uint8_t)byte) ? rsrt_decode(h, (uint8_t)byte) : 0;
        for (uint32_t i = 0; i < G; ++i, digits /= b) group_values[byte][i] = (int8_t)((int)(digits % b) - zd);
    }
    for (uint32_t row = 0; row < h->rows; ++row) {
        int8_t * dst = w + (uint64_t)row * h->cols;
        for (uint32_t g = 0; g < h->n_groups; ++g) {
            const uint32_t n = h->cols - g * G < G ? h->cols - g * G : G;
            memcpy(dst + g * G, group_values[base[rsrt_code_offset(h, row, g)]], n);
        }
    }
}

static uint64_t rsrt_work_size(const rsr_layout_header * h, rsr_act act, uint32_t batch, int n_threads) {
    const uint64_t portable = (uint64_t)n_threads * rsrt_portable_table_bytes(h);
    const uint64_t simd = rsrt_tables_bytes(h, n_threads) + rsrt_partial_bytes(h, n_threads);
    return portable > simd ? portable : simd;
}

rsr_status rsr_product_i8_rsrt_generic(const rsr_product * p);
rsr_status rsr_product_f32_rsrt_generic(const rsr_product * p);
rsr_status rsr_product_i8_rsrt_avx512(const rsr_product * p);
rsr_status rsr_products_i8_rsrt_avx512(const rsr_product * const * p, uint32_t n);

rsr_products_fn rsrt_products_i8(rsr_isa isa) { return isa >= RSR_ISA_AVX512 ? RSR_X86(rsr_products_i8_rsrt_avx512) : NULL; }

const rsr_layout_traits rsr_traits_rsrt = {
    .k_range = rsrt_k_range,
    .size = rsrt_size,
    .build = rsrt_build,
    .validate = rsrt_validate,
    .unpack = rsrt_unpack,
    .work_size = rsrt_work_size,
    .product = {
        [RSR_ACT_I8] = {
            [RSR_ISA_SCALAR] = rsr_product_i8_rsrt_generic,
            [RSR_ISA_AVX512] = RSR_X86(rsr_product_i8_rsrt_avx512),
        },
        [RSR_ACT_F32] = { [RSR_ISA_SCALAR] = rsr_product_f32_rsrt_generic },
    },
};
