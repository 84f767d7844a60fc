// i2-tables-avx2.c: packed-i2 products of several vectors with AVX2, by table lookups instead of multiplies.
// Byte 4r + s of a tile holds row r's codes for columns s, 4 + s, 8 + s and 12 + s: read as a number, it
// picks one of the 81 sums of those columns' inputs times -1, 0 or 1. A table per group of four columns holds
// the sums for 8 vectors as int16, so a row costs one 16-byte load and add per 4 weights for all 8 vectors.
// The multiply kernel needs a vpmaddubsw per 32 weights and vector, and Zen 1 issues those on one of its
// four pipes; the lookups run at the load ports' rate, about one a cycle.
#if defined(__x86_64__)

#include "../../i2-layout.h"
#include "simd-x86.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX2))), apply_to = function)

// int16 sums of this many column tiles stay within range: a tile adds at most 16 * 128 to a row.
#define FLUSH_TILES (3u * I2_TABLES_TILES)
_Static_assert(FLUSH_TILES * I2_TILE * 128 <= 32767, "int16 row sums overflow between widenings");

// Row tiles ahead whose weights are fetched while one is looked up (4 and 8 measured alike, 16 slower).
#define PREFETCH_TILES 4u

typedef struct tables_ctx {
    const rsr_product * const * p;
    uint32_t n;
    uint32_t first_tile[RSR_MANY_MAX + 1]; // product j's row tiles are [first_tile[j], first_tile[j + 1])
    uint32_t per_task;                     // row tiles a task takes, at most I2_TABLES_TASK_TILES
    const int16_t * xt;                    // [group][padded column][8]
    uint8_t * thread_work;
} tables_ctx;

// The inputs of vectors [8g, 8g + 8) as int16, column by column, zero past the batch and the columns.
static void transpose_inputs(const rsr_product * p, int16_t * xt) {
    const rsr_layout_header * h = p->h;
    const uint64_t stride = i2_padded_cols(h);
    const int8_t * x = (const int8_t *)p->x;
    memset(xt, 0, i2_tables_groups(p->batch) * stride * I2_TABLES_VECTORS * sizeof *xt);
    for (uint32_t v = 0; v < p->batch; ++v) {
        int16_t * out = xt + (v / I2_TABLES_VECTORS) * stride * I2_TABLES_VECTORS + v % I2_TABLES_VECTORS;
        for (uint32_t c = 0; c < h->cols; ++c) out[(uint64_t)c * I2_TABLES_VECTORS] = x[(uint64_t)v * h->cols + c];
    }
}

// Tables of column tiles [ct, ct + n): tables[k][s][index] = sum over j of (code j of index - 1) * column
// 16 (ct + k) + 4j + s, for the 81 indices whose codes are at most 2.
static void build_tables(const int16_t * xt, uint32_t ct, uint32_t n, __m128i * tables) {
    for (uint32_t k = 0; k < n; ++k) {
        for (uint32_t s = 0; s < 4; ++s) {
            const int16_t * col = xt + ((uint64_t)(ct + k) * I2_TILE + s) * I2_TABLES_VECTORS;
            const __m128i x0 = _mm_load_si128((const __m128i *)col), x1 = _mm_load_si128((const __m128i *)(col + 32)),
                          x2 = _mm_load_si128((const __m128i *)(col + 64)), x3 = _mm_load_si128((const __m128i *)(col + 96));
            __m128i * t = tables + (k * 4 + s) * I2_TABLES_ENTRIES;
            for (int c3 = 0; c3 < 3; ++c3) {
                const __m128i a3 = c3 == 0 ? _mm_sub_epi16(_mm_setzero_si128(), x3) : c3 == 1 ? _mm_setzero_si128() : x3;
                for (int c2 = 0; c2 < 3; ++c2) {
                    const __m128i a2 = c2 == 0 ? _mm_sub_epi16(a3, x2) : c2 == 1 ? a3 : _mm_add_epi16(a3, x2);
                    for (int c1 = 0; c1 < 3; ++c1) {
                        const __m128i a1 = c1 == 0 ? _mm_sub_epi16(a2, x1) : c1 == 1 ? a2 : _mm_add_epi16(a2, x1);
                        __m128i * e = t + (c3 << 6 | c2 << 4 | c1 << 2);
                        e[0] = _mm_sub_epi16(a1, x0);
                        e[1] = a1;
                        e[2] = _mm_add_epi16(a1, x0);
                    }
                }
            }
        }
    }
}

// Byte k of w times 16, the offset of its table entry. A rotate (BMI2's rorx, which compilers do not pick
// for shifts) writes a new register, where a shift takes a copy first.
static inline __attribute__((always_inline)) uint32_t entry_offset(uint32_t w, int k) {
    if (k == 0) return (w & 0xff) << 4;
    uint32_t r;
    __asm__("rorxl %2, %1, %0" : "=r"(r) : "r"(w), "i"(8 * k - 4));
    return r & 0xff0;
}

// Adds to each of a row tile's 16 int16 sums its lookups in n column tiles from `tiles` on.
static inline __attribute__((always_inline)) void row_tile_lookups(const uint8_t * tiles, uint32_t n, const __m128i * tables,
                                                                   __m128i * sums) {
    const char * t = (const char *)tables;
    for (uint32_t r = 0; r < I2_TILE; ++r) {
        __m128i acc = sums[r];
        for (uint32_t k = 0; k < n; ++k) {
            uint32_t w;
            memcpy(&w, tiles + k * I2_TILE_BYTES + 4 * r, sizeof w);
            const char * tk = t + (uint64_t)k * 4 * I2_TABLES_ENTRIES * 16;
            for (int s = 0; s < 4; ++s)
                acc = _mm_add_epi16(acc, _mm_load_si128((const __m128i *)(tk + s * I2_TABLES_ENTRIES * 16 + entry_offset(w, s))));
        }
        sums[r] = acc;
    }
}

// The product and row tile of row tile `i` counted across the products.
static inline const rsr_product * locate(const tables_ctx * c, uint32_t i, uint32_t * rt) {
    uint32_t j = 0;
    while (i >= c->first_tile[j + 1]) ++j;
    *rt = i - c->first_tile[j];
    return c->p[j];
}

static void tables_task(void * raw, uint32_t task, int thread) {
    const tables_ctx * c = raw;
    const rsr_layout_header * h0 = c->p[0]->h;
    const uint32_t n_ct = h0->n_groups, batch = c->p[0]->batch;
    const uint32_t i0 = task * c->per_task, i1 = rsr_min_u32(i0 + c->per_task, c->first_tile[c->n]);
    uint8_t * work = c->thread_work + (uint64_t)thread * i2_tables_thread_bytes();
    __m128i * tables = (__m128i *)work;
    __m128i * sums16 = (__m128i *)(work + i2_tables_bytes());
    __m256i * sums32 = (__m256i *)(sums16 + I2_TABLES_TASK_TILES * I2_TILE);
    const uint32_t rows = (i1 - i0) * I2_TILE;
    for (uint32_t g = 0; g < i2_tables_groups(batch); ++g) {
        const int16_t * xt = c->xt + (uint64_t)g * i2_padded_cols(h0) * I2_TABLES_VECTORS;
        memset(sums32, 0, rows * sizeof *sums32);
        for (uint32_t ct0 = 0; ct0 < n_ct; ct0 += FLUSH_TILES) {
            const uint32_t ct1 = rsr_min_u32(ct0 + FLUSH_TILES, n_ct);
            memset(sums16, 0, rows * sizeof *sums16);
            for (uint32_t ct = ct0; ct < ct1; ct += I2_TABLES_TILES) {
                const uint32_t n = rsr_min_u32(I2_TABLES_TILES, ct1 - ct);
                build_tables(xt, ct, n, tables);
                for (uint32_t i = i0; i < i1; ++i) {
                    uint32_t rt;
                    const rsr_product * p = locate(c, i, &rt);
                    const uint8_t * tiles = i2_tiles(p->h, p->base, rt) + (uint64_t)ct * I2_TILE_BYTES;
                    // Consecutive row tiles lie n_groups * 64 bytes apart, beyond the 4 KiB page that the
                    // hardware prefetchers follow: without this a task waited on memory a third of its time.
                    if (i + PREFETCH_TILES < i1) {
                        uint32_t rt_ahead;
                        const rsr_product * q = locate(c, i + PREFETCH_TILES, &rt_ahead);
                        const uint8_t * ahead = i2_tiles(q->h, q->base, rt_ahead) + (uint64_t)ct * I2_TILE_BYTES;
                        for (uint32_t b = 0; b < n * I2_TILE_BYTES; b += 64) _mm_prefetch((const char *)ahead + b, _MM_HINT_T0);
                    }
                    __m128i * s = sums16 + (i - i0) * I2_TILE;
                    // the same call with a constant count, which the compiler unrolls
                    if (n == I2_TABLES_TILES) row_tile_lookups(tiles, I2_TABLES_TILES, tables, s);
                    else row_tile_lookups(tiles, n, tables, s);
                }
            }
            for (uint32_t r = 0; r < rows; ++r) sums32[r] = _mm256_add_epi32(sums32[r], _mm256_cvtepi16_epi32(sums16[r]));
        }
        const uint32_t v0 = g * I2_TABLES_VECTORS, nv = rsr_min_u32(I2_TABLES_VECTORS, batch - v0);
        for (uint32_t i = i0; i < i1; ++i) {
            uint32_t rt;
            const rsr_product * p = locate(c, i, &rt);
            _Alignas(32) int32_t row[I2_TABLES_VECTORS];
            for (uint32_t r = 0; r < I2_TILE && rt * I2_TILE + r < p->h->rows; ++r) {
                _mm256_store_si256((__m256i *)row, sums32[(i - i0) * I2_TILE + r]);
                int32_t * y = (int32_t *)p->y + (uint64_t)v0 * p->h->rows + rt * I2_TILE + r;
                for (uint32_t v = 0; v < nv; ++v) y[(uint64_t)v * p->h->rows] = row[v];
            }
        }
    }
}

// Products of one input, whose layouts share their columns, at a batch of I2_TABLES_MIN_BATCH or more. Tasks
// take equal runs of the products' row tiles (the last may be shorter), about one per thread or a few each
// where a run would pass I2_TABLES_TASK_TILES: every task builds its own tables, so long tasks build few.
rsr_status i2_tables_run_avx2(const rsr_product * const * p, uint32_t n) {
    const rsr_product * p0 = p[0];
    tables_ctx c = { .p = p, .n = n };
    for (uint32_t j = 0; j < n; ++j) c.first_tile[j + 1] = c.first_tile[j] + p[j]->h->n_blocks;
    const uint32_t tiles = c.first_tile[n], threads = (uint32_t)p0->n_threads;
    const uint32_t rounds = rsr_div_up(tiles, threads * I2_TABLES_TASK_TILES);
    c.per_task = rsr_div_up(tiles, threads * rounds);
    transpose_inputs(p0, (int16_t *)p0->work);
    c.xt = (const int16_t *)p0->work;
    c.thread_work = p0->work + i2_tables_inputs_bytes(p0->h, p0->batch);
    rsr_pool_run(p0->pool, tables_task, &c, rsr_div_up(tiles, c.per_task));
    return RSR_OK;
}

#pragma clang attribute pop

#endif
