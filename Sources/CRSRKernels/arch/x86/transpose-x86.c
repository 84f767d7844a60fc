// transpose-x86.c: the batched classical RSR driver's int8 transposes (rsr-batch.c) with SSE2 registers:
// 16 x 16 byte blocks into the tile, 4 x 4 int32 blocks out of it (less the rows' bias). The same values as
// the driver's loops.
#if defined(__x86_64__)

#include "transpose-x86.h"

#include <emmintrin.h>

// One round interleaves rows i and i + 8 of `in`, which rotates each byte's (row, column) index by one bit;
// after four, row and column have swapped.
static inline __attribute__((always_inline)) void interleave16(const __m128i in[16], __m128i out[16]) {
    for (int i = 0; i < 8; ++i) {
        out[2 * i] = _mm_unpacklo_epi8(in[i], in[i + 8]);
        out[2 * i + 1] = _mm_unpackhi_epi8(in[i], in[i + 8]);
    }
}

// Rounds between two arrays in turn: copying the array back after each round compiled to a memmove call
// per round, 1.5% of a prompt's time.
static inline __attribute__((always_inline)) void transpose16x16(__m128i r[16]) {
    __m128i t[16];
    interleave16(r, t);
    interleave16(t, r);
    interleave16(r, t);
    interleave16(t, r);
}

void rsr_transpose_i8_sse2(const int8_t * x, uint32_t cols, uint32_t c0, uint32_t n, uint32_t nv, uint32_t tile, uint8_t * xt) {
    const __m128i bias = _mm_set1_epi8((char)0x80); // x + 128 as a byte is x with its top bit flipped
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (uint32_t v = 0; v < tile; v += 16) {
            __m128i r[16];
            for (uint32_t j = 0; j < 16; ++j) {
                r[j] = v + j < nv ? _mm_xor_si128(_mm_loadu_si128((const __m128i *)(x + (uint64_t)(v + j) * cols + c0 + i)), bias) : bias;
            }
            transpose16x16(r);
            for (uint32_t j = 0; j < 16; ++j) _mm_storeu_si128((__m128i *)(xt + (uint64_t)(i + j) * tile + v), r[j]);
        }
    }
    for (; i < n; ++i) {
        for (uint32_t v = 0; v < tile; ++v) xt[(uint64_t)i * tile + v] = v < nv ? (uint8_t)(x[(uint64_t)v * cols + c0 + i] + 128) : 128;
    }
}

void rsr_untranspose_i8_sse2(const int32_t * out, uint32_t tile, uint32_t n_rows, uint32_t nv, const int32_t * bias, int32_t * y,
                             uint32_t y_stride) {
    uint32_t i = 0;
    for (; i + 4 <= n_rows; i += 4) {
        const __m128i row_bias = _mm_loadu_si128((const __m128i *)(bias + i));
        for (uint32_t l = 0; l < tile; l += 4) {
            const uint32_t v = rsr_i8_vector_of_lane(l); // lanes l .. l + 3: vectors v, v + 2, v + 4, v + 6
            if (v >= nv) continue;
            const int32_t * src = out + (uint64_t)i * tile + l;
            __m128 a = _mm_castsi128_ps(_mm_loadu_si128((const __m128i *)src));
            __m128 b = _mm_castsi128_ps(_mm_loadu_si128((const __m128i *)(src + tile)));
            __m128 c = _mm_castsi128_ps(_mm_loadu_si128((const __m128i *)(src + 2 * tile)));
            __m128 d = _mm_castsi128_ps(_mm_loadu_si128((const __m128i *)(src + 3 * tile)));
            _MM_TRANSPOSE4_PS(a, b, c, d);
            const __m128 lanes[4] = { a, b, c, d };
            for (uint32_t j = 0; j < 4 && v + 2 * j < nv; ++j) {
                _mm_storeu_si128((__m128i *)(y + (uint64_t)(v + 2 * j) * y_stride + i), _mm_sub_epi32(_mm_castps_si128(lanes[j]), row_bias));
            }
        }
    }
    for (; i < n_rows; ++i) {
        for (uint32_t l = 0; l < tile; ++l) {
            const uint32_t v = rsr_i8_vector_of_lane(l);
            if (v < nv) y[(uint64_t)v * y_stride + i] = out[(uint64_t)i * tile + l] - bias[i];
        }
    }
}

#endif
