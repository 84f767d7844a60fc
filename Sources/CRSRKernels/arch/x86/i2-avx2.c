// i2-avx2.c: packed-i2 products with AVX2. A 64-byte tile is two 256-bit halves of 8 rows x 4 columns per
// crumb; vpmaddubsw multiplies the crumbs by broadcast activations into int16 pairs, which accumulate in
// int16 over a run of column tiles before vpmaddwd widens them to the rows' int32 sums. It takes batches of 1
// to 3; from I2_TABLES_MIN_BATCH the lookups of i2-tables-avx2.c cost less.
#if defined(__x86_64__)

#include "../../i2-layout.h"
#include "simd-x86.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX2))), apply_to = function)

// Crumbs 0 and 2 of a byte are masked in place after one shift, 1 and 3 in place as four times their code:
// and-masks run on every vector pipe of Zen 1, shifts on one. Codes are at most 2 and inputs -128..127, so a
// maddubs pair of quadrupled codes lies in -2048..2032 and a column tile adds two to each int16 lane: 8
// column tiles keep those sums within -32768..32512, exact to shift down before the lanes widen to int32.
#define RUN_TILES 8u
#define PREFETCH_TILES 32u

// Rows of one row tile for one vector: out[0] rows 0..7, out[1] rows 8..15.
static void row_tile(const uint8_t * tiles, uint32_t n_col_tiles, const int8_t * xp, __m256i out[2]) {
    const __m256i once = _mm256_set1_epi8(0x03), times4 = _mm256_set1_epi8(0x0c), ones = _mm256_set1_epi16(1);
    __m256i acc32[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
    for (uint32_t ct0 = 0; ct0 < n_col_tiles; ct0 += RUN_TILES) {
        const uint32_t ct1 = rsr_min_u32(ct0 + RUN_TILES, n_col_tiles);
        __m256i acc1[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
        __m256i acc4[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
        for (uint32_t ct = ct0; ct < ct1; ++ct) {
            const int32_t * x4 = (const int32_t *)(xp + (uint64_t)ct * I2_TILE);
            // PREFETCH_TILES (2 KB) ahead, into the next row tile's near the end: without it, tiles read
            // from memory took 8-12% longer than cached ones on Zen 1
            _mm_prefetch((const char *)(tiles + (uint64_t)(ct + PREFETCH_TILES) * I2_TILE_BYTES), _MM_HINT_T0);
            const __m256i x0 = _mm256_set1_epi32(x4[0]), x1 = _mm256_set1_epi32(x4[1]);
            const __m256i x2 = _mm256_set1_epi32(x4[2]), x3 = _mm256_set1_epi32(x4[3]);
            for (int half = 0; half < 2; ++half) {
                const __m256i packed = _mm256_loadu_si256((const __m256i *)(tiles + (uint64_t)ct * I2_TILE_BYTES + 32 * half));
                const __m256i high = _mm256_srli_epi16(packed, 4);
                acc1[half] = _mm256_add_epi16(acc1[half], _mm256_maddubs_epi16(_mm256_and_si256(packed, once), x0));
                acc4[half] = _mm256_add_epi16(acc4[half], _mm256_maddubs_epi16(_mm256_and_si256(packed, times4), x1));
                acc1[half] = _mm256_add_epi16(acc1[half], _mm256_maddubs_epi16(_mm256_and_si256(high, once), x2));
                acc4[half] = _mm256_add_epi16(acc4[half], _mm256_maddubs_epi16(_mm256_and_si256(high, times4), x3));
            }
        }
        for (int half = 0; half < 2; ++half) {
            const __m256i sums = _mm256_add_epi16(acc1[half], _mm256_srai_epi16(acc4[half], 2));
            acc32[half] = _mm256_add_epi32(acc32[half], _mm256_madd_epi16(sums, ones));
        }
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
