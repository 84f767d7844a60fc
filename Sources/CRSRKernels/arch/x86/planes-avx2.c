// planes-avx2.c: the bit-plane product with AVX2, for CPUs without AVX-512 VBMI.
//
// vpshufb looks up 16 entries, so a table group's 256 patterns are two tables of 16: TA over columns 0..3
// (the low nibble of a pattern) and TB over columns 4..7 (the high nibble), T[p] = TA[p & 15] + TB[p >> 4].
// Each holds int16 sums (|TA| <= 512) as two byte planes; a lookup of 32 codes takes four shuffles, and
// byte unpacks join the planes back into int16 (rows come out in the unpacks' lane order, 0..7 and 16..23
// in one register, 8..15 and 24..31 in the other, and are stored back in order when widened). Stored bytes
// are sign-folded (planes-layout.h): p = b ^ 0x7f where bit 7 is set. One plane of one tile is summed at a
// time over runs of 16 table groups, then widened into the group's int32 sums with its weight 2^i.
#if defined(__x86_64__)

#include "planes-avx2.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX2))), apply_to = function)

#define RUN_TABLES 16u

// Per table group, 64 bytes: TA low bytes, TA high bytes, TB low bytes, TB high bytes (16 entries each).
static void build_tables(const int8_t * x, uint32_t n_tables, uint8_t * tables) {
    for (uint32_t t = 0; t < n_tables; ++t) {
        const int8_t * xs = x + (uint64_t)t * 8;
        uint8_t * out = tables + (uint64_t)t * 64;
        for (int half = 0; half < 2; ++half) {
            int16_t v[16];
            v[0] = (int16_t)(-xs[4 * half] - xs[4 * half + 1] - xs[4 * half + 2] - xs[4 * half + 3]);
            for (int j = 0, m = 1; j < 4; ++j, m *= 2) {
                for (int c = 0; c < m; ++c) v[m + c] = (int16_t)(v[c] + 2 * xs[4 * half + j]);
            }
            for (int c = 0; c < 16; ++c) {
                out[32 * half + c] = (uint8_t)(v[c] & 0xff);
                out[32 * half + 16 + c] = (uint8_t)((uint16_t)v[c] >> 8);
            }
        }
    }
}

// Adds plane i of table groups [0, n_tables) of tile k (a quad of nt tiles) into sum[64] with weight 2^i.
static void sum_plane(const planes_header * h, const uint8_t * group, const uint8_t * tables, uint32_t n_tables, uint32_t nt,
                      uint32_t i, uint32_t k, int32_t * sum) {
    const __m256i fold = _mm256_set1_epi8(0x7f), nibble = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    for (uint32_t start = 0; start < n_tables; start += RUN_TABLES) {
        const uint32_t end = rsr_min_u32(start + RUN_TABLES, n_tables);
        __m256i acc[2][2] = { { zero, zero }, { zero, zero } }; // [32-row half][unpack lo / hi]
        for (uint32_t t = start; t < end; ++t) {
            const uint8_t * tab = tables + (uint64_t)t * 64;
            const __m256i a_lo = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)tab));
            const __m256i a_hi = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(tab + 16)));
            const __m256i b_lo = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(tab + 32)));
            const __m256i b_hi = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(tab + 48)));
            const uint8_t * codes = group + planes_code_offset(h, nt, t, i, k);
            for (int half = 0; half < 2; ++half) {
                const __m256i b = _mm256_load_si256((const __m256i *)(codes + 32 * half));
                const __m256i p = _mm256_xor_si256(b, _mm256_and_si256(_mm256_cmpgt_epi8(zero, b), fold));
                const __m256i lo = _mm256_and_si256(p, nibble), hi = _mm256_and_si256(_mm256_srli_epi16(p, 4), nibble);
                const __m256i al = _mm256_shuffle_epi8(a_lo, lo), ah = _mm256_shuffle_epi8(a_hi, lo);
                const __m256i bl = _mm256_shuffle_epi8(b_lo, hi), bh = _mm256_shuffle_epi8(b_hi, hi);
                acc[half][0] = _mm256_add_epi16(acc[half][0], _mm256_add_epi16(_mm256_unpacklo_epi8(al, ah), _mm256_unpacklo_epi8(bl, bh)));
                acc[half][1] = _mm256_add_epi16(acc[half][1], _mm256_add_epi16(_mm256_unpackhi_epi8(al, ah), _mm256_unpackhi_epi8(bl, bh)));
            }
        }
        const __m128i shift = _mm_cvtsi32_si128((int)i);
        for (int half = 0; half < 2; ++half) {
            for (int u = 0; u < 2; ++u) {
                // unpack u of lane l holds rows 16 l + 8 u .. 16 l + 8 u + 7 of this half
                for (int l = 0; l < 2; ++l) {
                    int32_t * s = sum + 32 * half + 16 * l + 8 * u;
                    const __m128i words = l ? _mm256_extracti128_si256(acc[half][u], 1) : _mm256_castsi256_si128(acc[half][u]);
                    const __m256i w = _mm256_sll_epi32(_mm256_cvtepi16_epi32(words), shift);
                    _mm256_storeu_si256((__m256i *)s, _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)s), w));
                }
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
    const int32_t max = (1 << h->bits) - 1;
    for (uint32_t q = q0; q < q1; ++q) {
        const uint32_t nt = planes_quad_tiles(h, q);
        for (uint32_t k = 0; k < nt; ++k) {
            _Alignas(32) float y[PLANES_TILE];
            _Alignas(32) int32_t sum[PLANES_TILE];
            memset(y, 0, sizeof y);
            const uint8_t * group = planes_quad(h, p->base, q);
            for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, nt), ++g) {
                const uint32_t n_tables = planes_group_tables(h, g);
                const uint8_t * scales = group + planes_scales_offset(h, g, nt, k);
                const uint8_t * zeros = h->flags & RSR_PLANES_ZERO_POINTS ? group + planes_zeros_offset(h, g, nt, k) : NULL;
                for (uint32_t r = 0; r < PLANES_TILE; ++r) sum[r] = (max - 2 * (int32_t)planes_zero(h, zeros, r)) * in.group_sums[g];
                const uint8_t * group_tables = tables + (uint64_t)g * (h->group / PLANES_GROUP_COLS) * 64;
                for (uint32_t i = 0; i < h->bits; ++i) sum_plane(h, group, group_tables, n_tables, nt, i, k, sum);
                // sum is 2 sum (u - z) x: even; one fused multiply-add per group, as every kernel does
                for (uint32_t r = 0; r < PLANES_TILE; r += 8) {
                    const __m256 j = _mm256_cvtepi32_ps(_mm256_srai_epi32(_mm256_load_si256((const __m256i *)(sum + r)), 1));
                    _mm256_store_ps(y + r, _mm256_fmadd_ps(planes_scales8(h, scales, r), j, _mm256_load_ps(y + r)));
                }
            }
            const uint32_t row0 = (q * PLANES_QUAD + k) * PLANES_TILE;
            memcpy(p->y + (uint64_t)c->v * h->rows + row0, y, rsr_min_u32(PLANES_TILE, h->rows - row0) * sizeof *y);
        }
    }
}

void planes_product_avx2(const planes_product * p) {
    planes_for_each_vector(p, quads_task, NULL);
}

#pragma clang attribute pop

#endif
