// i2-avx2.c: packed-i2 products with AVX2. A 64-byte tile is two 256-bit halves of 8 rows x 4 columns per
// crumb; vpmaddubsw multiplies the crumbs by broadcast activations into int16 pairs, which accumulate in
// int16 over a run of column tiles before vpmaddwd widens them to the rows' int32 sums. It takes batches of 1
// to 3; from I2_TABLES_MIN_BATCH the lookups of i2-tables-avx2.c cost less.
#if defined(__x86_64__)

#include "../../i2-layout.h"
#include "simd-x86.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX2))), apply_to = function)

// A maddubs pair is at most 2 * (2 * 128) = 512 in magnitude and a column tile adds four of them to each
// int16 lane, so 15 column tiles keep the sums within 32767.
#define RUN_TILES 15u

// Rows of one row tile for one vector: out[0] rows 0..7, out[1] rows 8..15.
static void row_tile(const uint8_t * tiles, uint32_t n_col_tiles, const int8_t * xp, __m256i out[2]) {
    const __m256i mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    __m256i acc32[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
    for (uint32_t ct0 = 0; ct0 < n_col_tiles; ct0 += RUN_TILES) {
        const uint32_t ct1 = rsr_min_u32(ct0 + RUN_TILES, n_col_tiles);
        __m256i acc16[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
        for (uint32_t ct = ct0; ct < ct1; ++ct) {
            const int32_t * x4 = (const int32_t *)(xp + (uint64_t)ct * I2_TILE);
            for (int half = 0; half < 2; ++half) {
                const __m256i packed = _mm256_loadu_si256((const __m256i *)(tiles + (uint64_t)ct * I2_TILE_BYTES + 32 * half));
                for (int j = 0; j < 4; ++j) {
                    const __m256i w = _mm256_and_si256(_mm256_srli_epi16(packed, 2 * j), mask);
                    acc16[half] = _mm256_add_epi16(acc16[half], _mm256_maddubs_epi16(w, _mm256_set1_epi32(x4[j])));
                }
            }
        }
        for (int half = 0; half < 2; ++half) acc32[half] = _mm256_add_epi32(acc32[half], _mm256_madd_epi16(acc16[half], ones));
    }
    out[0] = acc32[0];
    out[1] = acc32[1];
}

static void row_tiles_task(void * raw, uint32_t task, int thread) {
    const i2_ctx * c = raw;
    uint32_t t0, t1;
    const rsr_product * p = i2_task_tiles(c, task, &t0, &t1);
    const rsr_layout_header * h = p->h;
    const uint64_t x_stride = i2_padded_cols(h);
    for (uint32_t rt = t0; rt < t1; ++rt) {
        for (uint32_t v = 0; v < p->batch; ++v) {
            __m256i acc[2];
            row_tile(i2_tiles(h, p->base, rt), h->n_groups, c->xp + v * x_stride, acc);
            _Alignas(32) int32_t rows[16];
            _mm256_store_si256((__m256i *)rows, acc[0]);
            _mm256_store_si256((__m256i *)(rows + 8), acc[1]);
            int32_t * y = (int32_t *)p->y + (uint64_t)v * h->rows + rt * I2_TILE;
            const uint32_t n = rsr_min_u32(I2_TILE, h->rows - rt * I2_TILE);
            for (uint32_t r = 0; r < n; ++r) y[r] = rows[r] - c->sums[v];
        }
    }
}

rsr_status rsr_products_i8_i2_avx2(const rsr_product * const * p, uint32_t n) {
    return p[0]->batch >= I2_TABLES_MIN_BATCH ? i2_tables_run_avx2(p, n) : i2_run(p, n, row_tiles_task);
}
rsr_status rsr_product_i8_i2_avx2(const rsr_product * p) { return rsr_products_i8_i2_avx2(&p, 1); }

#pragma clang attribute pop

#endif
