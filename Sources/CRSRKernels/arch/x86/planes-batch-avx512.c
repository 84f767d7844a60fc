// planes-batch-avx512.c: the bit-plane and packed products for several vectors at once (prefill), with
// AVX-512 VNNI.
//
// A batch reads each weight many times, so the planes are unpacked once per 64-row tile and scale group into
// the codes u themselves, and every vector multiplies them with int8 dot products (vpdpbusd: u is the
// unsigned operand, x the signed one). Unpacking one table group of 64 rows: masked byte permutes gather,
// for each row, its n plane bytes into one qword (plane i in byte 7 - i), and one GF(2) affine transform
// (gf2p8affineqb) transposes that 8x8 bit matrix into the row's eight codes; dword permutes then put the
// first and the last four codes of 16 rows in one register each, to meet four inputs broadcast. Packed
// codes are already in that order and only need a shift and a mask.
// The group's exact sum less the zero point's share, sum (u - z) x, then takes the rsr-t decode path's
// rounding (one f32 fma per group), so a batch gives each vector what the decode kernel gives it.
#if defined(__x86_64__)

#include "planes-avx512.h"

#include <pthread.h>

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX512))), apply_to = function)

typedef struct batch_consts {
    uint8_t gather[8][64]; // for output register k: byte 8q + j takes row 8k + q of the pair's even (j even) or odd plane
    uint32_t even[16], odd[16]; // dword indices that take the even (odd) lanes of two registers
} batch_consts;

static batch_consts consts;
static pthread_once_t consts_once = PTHREAD_ONCE_INIT;

static void init_consts(void) {
    for (uint32_t k = 0; k < 8; ++k) {
        for (uint32_t q = 0; q < 8; ++q) {
            // byte j holds plane 7 - j: even j from the pair's higher plane (the first source), odd from the lower
            for (uint32_t j = 0; j < 8; ++j) consts.gather[k][8 * q + j] = (uint8_t)(8 * k + q + (j % 2 ? 64 : 0));
        }
    }
    for (uint32_t i = 0; i < 16; ++i) {
        consts.even[i] = 2 * i;
        consts.odd[i] = 2 * i + 1;
    }
}

#define VECTORS 5u // vectors per pass over a group's unpacked codes: 5 x 4 accumulators

// The codes of table group t of tile k (a quad of nt tiles) for all 64 rows: eight registers, 2m holding
// columns 0..3 and 2m + 1 columns 4..7 of rows 16m .. 16m + 15, one dword per row.
static inline void unpack_table_group(const planes_header * h, const uint8_t * group, uint32_t nt, uint32_t t, uint32_t k,
                                      __m512i * out) {
    __m512i planes[8];
    const __m512i fold = _mm512_set1_epi8(0x7f);
    for (uint32_t i = 0; i < 8; ++i) {
        if (i >= h->bits) { planes[i] = _mm512_setzero_si512(); continue; }
        const __m512i b = _mm512_load_si512(group + planes_code_offset(h, nt, t, i, k));
        planes[i] = _mm512_xor_si512(b, _mm512_maskz_mov_epi8(_mm512_movepi8_mask(b), fold)); // stored byte -> pattern
    }
    const __m512i identity = _mm512_set1_epi64(0x8040201008040201); // byte j = bit j: selects column j
    __m512i rows8[8]; // rows 8r .. 8r + 7, eight codes each
    for (uint32_t r = 0; r < 8; ++r) {
        const __m512i index = _mm512_load_si512(consts.gather[r]);
        // pair m: planes 2m + 1 and 2m in bytes 6 - 2m and 7 - 2m of each qword
        __m512i q = _mm512_maskz_permutex2var_epi8(0x4040404040404040ull | 0x8080808080808080ull, planes[1], index, planes[0]);
        for (uint32_t m = 1; 2 * m < h->bits; ++m) {
            const __mmask64 at = (0x4040404040404040ull | 0x8080808080808080ull) >> (2 * m);
            q = _mm512_mask_mov_epi8(q, at, _mm512_permutex2var_epi8(planes[2 * m + 1], index, planes[2 * m]));
        }
        rows8[r] = _mm512_gf2p8affine_epi64_epi8(identity, q, 0);
    }
    const __m512i even = _mm512_loadu_si512(consts.even), odd = _mm512_loadu_si512(consts.odd);
    for (uint32_t m = 0; m < 4; ++m) {
        out[2 * m] = _mm512_permutex2var_epi32(rows8[2 * m], even, rows8[2 * m + 1]);
        out[2 * m + 1] = _mm512_permutex2var_epi32(rows8[2 * m], odd, rows8[2 * m + 1]);
    }
}

// The same registers from packed codes: quarter 2t + half of the group (columns 8t + 4 half ..) is field f of
// block b, shifted down and masked.
static inline void unpack_packed_group(const planes_header * h, const uint8_t * group, uint32_t nt, uint32_t g, uint32_t k,
                                       __m512i * out) {
    const uint32_t fields = 8 / h->bits, blocks = planes_group_blocks(h, g), quarters = 2 * planes_group_tables(h, g);
    const __m512i mask = _mm512_set1_epi8((char)((1u << h->bits) - 1));
    for (uint32_t b = 0; b * fields < quarters; ++b) {
        for (uint32_t m = 0; m < 4; ++m) {
            // the last group's last table group may end past its last block (8-bit): zero codes for zero inputs
            const __m512i v = b < blocks ? _mm512_load_si512(group + planes_block_offset(nt, b, k) + 64 * m) : _mm512_setzero_si512();
            for (uint32_t f = 0, quarter = b * fields; f < fields && quarter < quarters; ++f, ++quarter) {
                const __m512i u = h->bits == 8 ? v : _mm512_and_si512(_mm512_srl_epi16(v, _mm_cvtsi32_si128((int)(h->bits * f))), mask);
                out[8 * (quarter / 2) + 2 * m + quarter % 2] = u;
            }
        }
    }
}

typedef struct batch_ctx {
    const planes_product * p;
    uint32_t per_part; // tiles per task
} batch_ctx;

// Vectors [v0, v0 + NV) over scale group g of one tile: y[v] (its rows row0 .. row0 + 63, `rows` of them
// real) becomes d * sum (u - z) x, plus what it held unless `first`.
static inline __attribute__((always_inline)) void group_vectors(
        const planes_product * p, const __m512i * codes, uint32_t n_tables, uint32_t g, const __m512 * d, const __m512i * z,
        uint32_t v0, const int NV, uint32_t row0, __mmask16 * rows_mask, bool first) {
    const planes_header * h = p->h;
    __m512i acc[VECTORS][4];
    const int8_t * x[VECTORS];
    for (int v = 0; v < NV; ++v) {
        x[v] = planes_input_at(h, p->inputs + (uint64_t)(v0 + (uint32_t)v) * planes_input_bytes(h)).x + (uint64_t)g * h->group;
        for (int m = 0; m < 4; ++m) acc[v][m] = _mm512_setzero_si512();
    }
    for (uint32_t t = 0; t < n_tables; ++t) {
        for (int half = 0; half < 2; ++half) {
            __m512i xb[VECTORS];
            for (int v = 0; v < NV; ++v) xb[v] = _mm512_set1_epi32(*(const int *)(x[v] + 8 * t + 4 * half));
            for (int m = 0; m < 4; ++m) {
                const __m512i u = _mm512_load_si512(codes + 8 * t + 2 * m + half);
                for (int v = 0; v < NV; ++v) acc[v][m] = _mm512_dpbusd_epi32(acc[v][m], u, xb[v]);
            }
        }
    }
    for (int v = 0; v < NV; ++v) {
        const planes_input in = planes_input_at(h, p->inputs + (uint64_t)(v0 + (uint32_t)v) * planes_input_bytes(h));
        const __m512i xs = _mm512_set1_epi32(in.group_sums[g]);
        float * out = p->y + (uint64_t)(v0 + (uint32_t)v) * h->rows + row0;
        for (int q = 0; q < 4; ++q) {
            const __m512i sum = _mm512_sub_epi32(acc[v][q], _mm512_mullo_epi32(z[q], xs));
            const __m512 before = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(rows_mask[q], out + 16 * q);
            _mm512_mask_storeu_ps(out + 16 * q, rows_mask[q], _mm512_fmadd_ps(d[q], _mm512_cvtepi32_ps(sum), before));
        }
    }
}

static void tiles_task(void * raw, uint32_t part, int thread) {
    const batch_ctx * c = raw;
    const planes_product * p = c->p;
    const planes_header * h = p->h;
    const uint32_t t0 = part * c->per_part, t1 = rsr_min_u32(t0 + c->per_part, h->n_tiles);
    __m512i * codes = (__m512i *)(p->work + (uint64_t)part * p->thread_bytes);
    for (uint32_t tile = t0; tile < t1; ++tile) {
        const uint32_t q = tile / PLANES_QUAD, k = tile % PLANES_QUAD, nt = planes_quad_tiles(h, q);
        const uint32_t row0 = tile * PLANES_TILE, rows = rsr_min_u32(PLANES_TILE, h->rows - row0);
        __mmask16 rows_mask[4];
        for (uint32_t i = 0; i < 4; ++i) {
            const uint32_t left = rows > 16 * i ? rows - 16 * i : 0;
            rows_mask[i] = (__mmask16)(left >= 16 ? 0xffff : (1u << left) - 1);
        }
        const uint8_t * group = planes_quad(h, p->base, q);
        for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, nt), ++g) {
            // the group's codes, unpacked once for every vector (G x 64 bytes: in L1 for groups of 128)
            const uint32_t n_tables = planes_group_tables(h, g);
            if (planes_packed(h)) unpack_packed_group(h, group, nt, g, k, codes);
            else for (uint32_t t = 0; t < n_tables; ++t) unpack_table_group(h, group, nt, t, k, codes + 8 * t);
            __m512 d[4];
            __m512i z[4];
            const uint8_t * scales = group + planes_scales_offset(h, g, nt, k);
            const uint8_t * zeros = group + planes_zeros_offset(h, g, nt, k);
            for (int i = 0; i < 4; ++i) {
                d[i] = planes_scales16(h, scales, i);
                z[i] = planes_zeros16(h, zeros, i);
            }
            for (uint32_t v0 = 0; v0 < p->batch; v0 += VECTORS) {
                const uint32_t nv = rsr_min_u32(VECTORS, p->batch - v0);
                if (nv == 5) group_vectors(p, codes, n_tables, g, d, z, v0, 5, row0, rows_mask, g == 0);
                else if (nv == 4) group_vectors(p, codes, n_tables, g, d, z, v0, 4, row0, rows_mask, g == 0);
                else if (nv == 3) group_vectors(p, codes, n_tables, g, d, z, v0, 3, row0, rows_mask, g == 0);
                else if (nv == 2) group_vectors(p, codes, n_tables, g, d, z, v0, 2, row0, rows_mask, g == 0);
                else group_vectors(p, codes, n_tables, g, d, z, v0, 1, row0, rows_mask, g == 0);
            }
        }
    }
}

void planes_batch_avx512(const planes_product * p) {
    pthread_once(&consts_once, init_consts);
    batch_ctx c = { .p = p, .per_part = rsr_div_up(p->h->n_tiles, (uint32_t)p->n_threads) };
    rsr_pool_run(p->pool, tiles_task, &c, (uint32_t)p->n_threads);
}

#pragma clang attribute pop

#endif
