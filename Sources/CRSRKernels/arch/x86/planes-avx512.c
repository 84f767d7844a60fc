// planes-avx512.c: the bit-plane product with AVX-512 VBMI.
//
// A table group's 128 int16 sums are stored as two byte planes (low and high bytes), two registers each, as
// rsr-t stores its tables. A lookup indexes both planes with the low seven bits of 64 codes (vpermi2b),
// interleaves them back into int16 in row order, and negates where bit 7 is set. Each plane of the weights
// accumulates in int16 over at most 16 table groups (|sum| <= 16 * 1024), then widens into the int32 sum of
// the scale group with its weight 2^i; the group's sum, halved, is converted to f32 and multiplied by its
// scales. One table load serves two planes of the four tiles of a quad, whose 16 accumulators stay in
// registers with the table.
#if defined(__x86_64__)

#include "planes-avx512.h"

#include <pthread.h>

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX512))), apply_to = function)

typedef struct table_consts {
    int16_t coef_a[4][32];   // +-1: bit j of pattern c (c < 16), columns 0..3
    int16_t coef_b[3][32];   // +-1: bit j of pattern c (c < 8), columns 4..6
    int16_t index_a[4][32];  // c % 16 for c = 32 z + lane
    int16_t index_b[4][32];  // c / 16
    uint8_t even[64], odd[64];
    uint8_t join[2][64];
} table_consts;

static table_consts consts;
static pthread_once_t consts_once = PTHREAD_ONCE_INIT;

static void init_consts(void) {
    for (uint32_t c = 0; c < 32; ++c) {
        for (uint32_t j = 0; j < 4; ++j) consts.coef_a[j][c] = c < 16 ? (int16_t)(c >> j & 1 ? 1 : -1) : 0;
        for (uint32_t j = 0; j < 3; ++j) consts.coef_b[j][c] = c < 8 ? (int16_t)(c >> j & 1 ? 1 : -1) : 0;
    }
    for (uint32_t z = 0; z < 4; ++z) {
        for (uint32_t l = 0; l < 32; ++l) {
            consts.index_a[z][l] = (int16_t)((32 * z + l) % 16);
            consts.index_b[z][l] = (int16_t)((32 * z + l) / 16);
        }
    }
    for (uint32_t i = 0; i < 64; ++i) {
        consts.even[i] = (uint8_t)(2 * i);
        consts.odd[i] = (uint8_t)(2 * i + 1);
        for (uint32_t half = 0; half < 2; ++half) consts.join[half][i] = (uint8_t)(i % 2 ? 64 + 32 * half + i / 2 : 32 * half + i / 2);
    }
}

// Tables of all table groups of x into tables + t * 256: T[c] = A[c % 16] + B[c / 16], A over columns 0..3,
// B over columns 4..6 minus column 7.
static void build_tables(const int8_t * x, uint32_t n_tables, uint8_t * tables) {
    const table_consts * k = &consts;
    __m512i coef_a[4], coef_b[3], index_a[4], index_b[4];
    for (int j = 0; j < 4; ++j) coef_a[j] = _mm512_loadu_si512(k->coef_a[j]);
    for (int j = 0; j < 3; ++j) coef_b[j] = _mm512_loadu_si512(k->coef_b[j]);
    for (int z = 0; z < 4; ++z) {
        index_a[z] = _mm512_loadu_si512(k->index_a[z]);
        index_b[z] = _mm512_loadu_si512(k->index_b[z]);
    }
    const __m512i even = _mm512_loadu_si512(k->even), odd = _mm512_loadu_si512(k->odd);
    _Alignas(16) int16_t x16[8];
    for (uint32_t t = 0; t < n_tables; ++t) {
        _mm_store_si128((__m128i *)x16, _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(x + (uint64_t)t * 8))));
        __m512i a = _mm512_mullo_epi16(coef_a[0], _mm512_set1_epi16(x16[0]));
        for (int j = 1; j < 4; ++j) a = _mm512_add_epi16(a, _mm512_mullo_epi16(coef_a[j], _mm512_set1_epi16(x16[j])));
        __m512i b = _mm512_sub_epi16(_mm512_mullo_epi16(coef_b[0], _mm512_set1_epi16(x16[4])), _mm512_set1_epi16(x16[7]));
        for (int j = 1; j < 3; ++j) b = _mm512_add_epi16(b, _mm512_mullo_epi16(coef_b[j], _mm512_set1_epi16(x16[4 + j])));
        uint8_t * planes = tables + (uint64_t)t * 256;
        for (int m = 0; m < 2; ++m) {
            const __m512i t0 = _mm512_add_epi16(_mm512_permutexvar_epi16(index_a[2 * m], a), _mm512_permutexvar_epi16(index_b[2 * m], b));
            const __m512i t1 = _mm512_add_epi16(_mm512_permutexvar_epi16(index_a[2 * m + 1], a), _mm512_permutexvar_epi16(index_b[2 * m + 1], b));
            _mm512_store_si512(planes + 64 * m, _mm512_permutex2var_epi8(t0, even, t1));
            _mm512_store_si512(planes + 128 + 64 * m, _mm512_permutex2var_epi8(t0, odd, t1));
        }
    }
}

#define PREFETCH_AHEAD 8192
#define RUN_TABLES 16u // int16 sums of one plane over 16 table groups stay within 16 * 1024

// Adds planes [first, first + NP) of table groups [0, n_tables) of one scale group of a quad of NT tiles into
// sum (int32, [tile][64 rows]), each with its weight 2^i. NP * NT * 2 accumulators stay in registers.
static inline __attribute__((always_inline)) void sum_planes(
        const uint8_t * codes, const uint8_t * tables, uint32_t n_tables, uint32_t bits, uint32_t first, const int NP,
        const int NT, int32_t * sum) {
    const __m512i join0 = _mm512_loadu_si512(consts.join[0]), join1 = _mm512_loadu_si512(consts.join[1]);
    for (uint32_t start = 0; start < n_tables; start += RUN_TABLES) {
        const uint32_t end = rsr_min_u32(start + RUN_TABLES, n_tables);
        __m512i acc[2][PLANES_QUAD][2];
        for (int i = 0; i < NP; ++i) for (int k = 0; k < NT; ++k) acc[i][k][0] = acc[i][k][1] = _mm512_setzero_si512();
        for (uint32_t t = start; t < end; ++t) {
            const uint8_t * planes = tables + (uint64_t)t * 256;
            const __m512i l0 = _mm512_load_si512(planes), l1 = _mm512_load_si512(planes + 64);
            const __m512i h0 = _mm512_load_si512(planes + 128), h1 = _mm512_load_si512(planes + 192);
            const uint8_t * group_codes = codes + ((uint64_t)t * bits + first) * NT * PLANES_TILE;
            for (int i = 0; i < NP; ++i) {
                for (int k = 0; k < NT; ++k) {
                    const uint8_t * at = group_codes + (i * NT + k) * PLANES_TILE;
                    // the hardware prefetcher alone falls behind on this stream (as in rsr-t)
                    _mm_prefetch((const char *)(at + PREFETCH_AHEAD), _MM_HINT_T1);
                    const __m512i code = _mm512_load_si512(at);
                    const __m512i lo = _mm512_permutex2var_epi8(l0, code, l1);
                    const __m512i hi = _mm512_permutex2var_epi8(h0, code, h1);
                    const __mmask64 neg = _mm512_movepi8_mask(code);
                    const __m512i v0 = _mm512_permutex2var_epi8(lo, join0, hi); // rows 0..31
                    const __m512i v1 = _mm512_permutex2var_epi8(lo, join1, hi); // rows 32..63
                    acc[i][k][0] = _mm512_mask_sub_epi16(_mm512_add_epi16(acc[i][k][0], v0), (__mmask32)neg, acc[i][k][0], v0);
                    acc[i][k][1] = _mm512_mask_sub_epi16(_mm512_add_epi16(acc[i][k][1], v1), (__mmask32)(neg >> 32), acc[i][k][1], v1);
                }
            }
        }
        for (int i = 0; i < NP; ++i) {
            const __m128i shift = _mm_cvtsi32_si128((int)(first + (uint32_t)i));
            for (int k = 0; k < NT; ++k) {
                int32_t * s = sum + k * PLANES_TILE;
                for (int half = 0; half < 2; ++half) {
                    const __m512i w0 = _mm512_cvtepi16_epi32(_mm512_castsi512_si256(acc[i][k][half]));
                    const __m512i w1 = _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(acc[i][k][half], 1));
                    _mm512_store_si512(s + 32 * half, _mm512_add_epi32(_mm512_load_si512(s + 32 * half), _mm512_sll_epi32(w0, shift)));
                    _mm512_store_si512(s + 32 * half + 16, _mm512_add_epi32(_mm512_load_si512(s + 32 * half + 16), _mm512_sll_epi32(w1, shift)));
                }
            }
        }
    }
}

// y (f32, [tile][64]) of one quad of NT tiles over all scale groups.
static inline __attribute__((always_inline)) void quad_product(
        const planes_header * h, const uint8_t * group, const uint8_t * tables, const int32_t * group_sums, const int NT,
        float * y) {
    _Alignas(64) int32_t sum[PLANES_QUAD * PLANES_TILE];
    const __m512i max = _mm512_set1_epi32((1 << h->bits) - 1);
    const uint32_t bits = h->bits;
    for (int k = 0; k < NT * 4; ++k) _mm512_store_ps(y + 16 * k, _mm512_setzero_ps());
    for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, (uint32_t)NT), ++g) {
        const uint32_t n_tables = planes_group_tables(h, g);
        const uint8_t * group_tables = tables + (uint64_t)g * (h->group / PLANES_GROUP_COLS) * 256;
        // sum starts at (2^n - 1 - 2z) * sum(x) and ends at 2 sum (u - z) x
        const __m512i xs = _mm512_set1_epi32(group_sums[g]);
        for (int k = 0; k < NT; ++k) {
            const uint8_t * zeros = group + planes_zeros_offset(h, g, (uint32_t)NT, (uint32_t)k);
            for (int q = 0; q < 4; ++q) {
                const __m512i z = planes_zeros16(h, zeros, q);
                _mm512_store_si512(sum + k * PLANES_TILE + 16 * q, _mm512_mullo_epi32(_mm512_sub_epi32(max, _mm512_add_epi32(z, z)), xs));
            }
        }
        for (uint32_t first = 0; first < bits; first += 2) {
            if (bits - first == 1) sum_planes(group, group_tables, n_tables, bits, first, 1, NT, sum);
            else sum_planes(group, group_tables, n_tables, bits, first, 2, NT, sum);
        }
        for (int k = 0; k < NT; ++k) {
            const uint8_t * scales = group + planes_scales_offset(h, g, (uint32_t)NT, (uint32_t)k);
            for (int q = 0; q < 4; ++q) {
                float * out = y + k * PLANES_TILE + 16 * q;
                const __m512 j = _mm512_cvtepi32_ps(_mm512_srai_epi32(_mm512_load_si512(sum + k * PLANES_TILE + 16 * q), 1));
                _mm512_store_ps(out, _mm512_fmadd_ps(planes_scales16(h, scales, q), j, _mm512_load_ps(out)));
            }
        }
    }
}

static void quads_task(void * raw, uint32_t part, int thread) {
    const planes_vector_task * c = raw;
    const planes_product * p = c->p;
    const planes_header * h = p->h;
    const planes_input in = c->in;
    uint32_t q0, q1;
    const uint8_t * tables = planes_task_start(c, part, thread, build_tables, &q0, &q1);
    if (!tables) return;
    _Alignas(64) float y[PLANES_QUAD * PLANES_TILE];
    for (uint32_t q = q0; q < q1; ++q) {
        const uint8_t * quad = planes_quad(h, p->base, q);
        const uint32_t nt = planes_quad_tiles(h, q);
        switch (nt) {
        case 4: quad_product(h, quad, tables, in.group_sums, 4, y); break;
        case 3: quad_product(h, quad, tables, in.group_sums, 3, y); break;
        case 2: quad_product(h, quad, tables, in.group_sums, 2, y); break;
        default: quad_product(h, quad, tables, in.group_sums, 1, y); break;
        }
        const uint32_t row0 = q * PLANES_QUAD * PLANES_TILE;
        memcpy(p->y + (uint64_t)c->v * h->rows + row0, y, rsr_min_u32(nt * PLANES_TILE, h->rows - row0) * sizeof *y);
    }
}

void planes_product_avx512(const planes_product * p) {
    pthread_once(&consts_once, init_consts);
    planes_for_each_vector(p, quads_task, NULL);
}

#pragma clang attribute pop

#endif
