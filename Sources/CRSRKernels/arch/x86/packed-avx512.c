// packed-avx512.c: the one-vector product of packed integer codes with AVX-512 VNNI.
//
// A block's 64-byte word holds 16 rows' dwords of 32 / bits columns; a shift and a mask give field f, the
// rows' codes of columns 4f .. 4f + 3, and one vpdpbusd adds them times those four inputs broadcast into
// the rows' int32 sums (u is the unsigned operand, x the signed one). The rows stay in the lanes, so a
// group ends with the zero point's share, one conversion and one fma per 16 rows, no reduction, in group
// order as the other kernels (the same floats). A quad's four tiles take 16 accumulators, and every
// broadcast input serves them all. The quad is one sequential stream that the hardware prefetcher follows
// alone: software prefetches 1-16 KiB ahead measured slower, cold, on one thread and on two.
#if defined(__x86_64__)

#include "planes-avx512.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX512))), apply_to = function)

// y (f32, [tile][64]) of one quad of NT tiles of BITS-bit codes over all scale groups.
static inline __attribute__((always_inline)) void quad_product(
        const planes_header * h, const uint8_t * group, const planes_input in, const int BITS, const int NT, float * y) {
    const int FIELDS = 8 / BITS;
    const __m512i mask = _mm512_set1_epi8((char)((1 << BITS) - 1));
    for (int k = 0; k < NT * 4; ++k) _mm512_store_ps(y + 16 * k, _mm512_setzero_ps());
    for (uint32_t g = 0; g < h->n_groups; group += planes_group_bytes(h, g, (uint32_t)NT), ++g) {
        __m512i acc[PLANES_QUAD][4];
        for (int k = 0; k < NT; ++k) for (int m = 0; m < 4; ++m) acc[k][m] = _mm512_setzero_si512();
        const int8_t * x = in.x + (uint64_t)g * h->group;
        const uint32_t blocks = planes_group_blocks(h, g);
        for (uint32_t b = 0; b < blocks; ++b) {
            const uint8_t * w = group + planes_block_offset((uint32_t)NT, b, 0);
            __m512i xb[4];
            for (int f = 0; f < FIELDS; ++f) {
                int32_t four;
                memcpy(&four, x + b * (32u / (uint32_t)BITS) + 4 * f, 4);
                xb[f] = _mm512_set1_epi32(four);
            }
            // unrolled whole, so that the accumulators stay in registers (at four tiles of 2-bit codes,
            // 64 products, clang's own limit left the loop over tiles rolled and the sums on the stack)
#pragma clang loop unroll(full)
            for (int k = 0; k < NT; ++k) {
#pragma clang loop unroll(full)
                for (int m = 0; m < 4; ++m) {
                    const __m512i v = _mm512_load_si512(w + (k * 4 + m) * 64);
#pragma clang loop unroll(full)
                    for (int f = 0; f < FIELDS; ++f) {
                        const __m512i u = BITS == 8 ? v : _mm512_and_si512(f ? _mm512_srli_epi16(v, BITS * f) : v, mask);
                        acc[k][m] = _mm512_dpbusd_epi32(acc[k][m], u, xb[f]);
                    }
                }
            }
        }
        const __m512i xs = _mm512_set1_epi32(in.group_sums[g]);
        for (int k = 0; k < NT; ++k) {
            const uint8_t * scales = group + planes_scales_offset(h, g, (uint32_t)NT, (uint32_t)k);
            const uint8_t * zeros = group + planes_zeros_offset(h, g, (uint32_t)NT, (uint32_t)k);
            for (int m = 0; m < 4; ++m) {
                const __m512i sum = _mm512_sub_epi32(acc[k][m], _mm512_mullo_epi32(planes_zeros16(h, zeros, m), xs));
                float * out = y + k * PLANES_TILE + 16 * m;
                _mm512_store_ps(out, _mm512_fmadd_ps(planes_scales16(h, scales, m), _mm512_cvtepi32_ps(sum), _mm512_load_ps(out)));
            }
        }
    }
}

static void quad_any(const planes_header * h, const uint8_t * quad, uint32_t nt, const planes_input * in, float * y) {
#define QUAD_TILES(B)                                                   \
    switch (nt) {                                                       \
    case 4: quad_product(h, quad, *in, B, 4, y); break;                 \
    case 3: quad_product(h, quad, *in, B, 3, y); break;                 \
    case 2: quad_product(h, quad, *in, B, 2, y); break;                 \
    default: quad_product(h, quad, *in, B, 1, y); break;                \
    }
    if (h->bits == 2) QUAD_TILES(2)
    else if (h->bits == 4) QUAD_TILES(4)
    else QUAD_TILES(8)
#undef QUAD_TILES
}

void planes_packed_avx512(const planes_product * p) {
    planes_packed_product(p, quad_any);
}

#pragma clang attribute pop

#endif
