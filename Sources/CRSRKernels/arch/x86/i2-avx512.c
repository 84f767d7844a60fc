// i2-avx512.c: packed-i2 products with AVX-512 VNNI. A 64-byte tile becomes four 16-row x 4-column
// operands, with a shift and a mask each for one vector and one mask or GF(2) affine op each for batches
// (where the units that vpdpbusd needs are the limit); vpdpbusd multiplies them by four broadcast activations.
#if defined(__x86_64__)

#include "../../i2-layout.h"
#include "simd-x86.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX512))), apply_to = function)

#define MAX_RT 4 // row tiles per step: their operands share the activation broadcasts
#define MAX_NB 8 // vectors per step in batched products
// Batches ask for each row tile's bytes ahead, into L1 and further ahead into L2: a row tile is a short
// stream (10 KiB at 2560 columns) that the hardware prefetcher picks up late, and the L1 requests alone
// keep too few lines in flight to cover memory's latency at the rate a batch reads.
#define I2_PREFETCH_L1 512
#define I2_PREFETCH_L2 2048

// acc[r][v] += tiles of RT row tiles times NB vectors, over all column tiles.
static inline __attribute__((always_inline)) void tile_block(
        const uint8_t * tiles, uint64_t tile_stride, int RT, const int8_t * xp, uint64_t x_stride, int NB,
        uint32_t n_col_tiles, __m512i acc[MAX_RT][MAX_NB]) {
    const __m512i mask = _mm512_set1_epi8(3);
    // GF(2) matrices that move bits 2 c, 2 c + 1 of every byte to bits 0, 1 and clear the rest (result bit i
    // is the parity of matrix byte 7 - i and the input byte): crumb c in one op instead of a shift and a mask
    const __m512i crumb[3] = {
        _mm512_set1_epi64((long long)(0x04ull << 56 | 0x08ull << 48)),
        _mm512_set1_epi64((long long)(0x10ull << 56 | 0x20ull << 48)),
        _mm512_set1_epi64((long long)(0x40ull << 56 | 0x80ull << 48)),
    };
    for (uint32_t ct = 0; ct < n_col_tiles; ++ct) {
        __m512i w[MAX_RT][4];
        for (int r = 0; r < RT; ++r) {
            const uint8_t * tile = tiles + r * tile_stride + (uint64_t)ct * I2_TILE_BYTES;
            _mm_prefetch((const char *)tile + I2_PREFETCH_L1, _MM_HINT_T0);
            _mm_prefetch((const char *)tile + I2_PREFETCH_L2, _MM_HINT_T1);
            const __m512i packed = _mm512_loadu_si512(tile);
            w[r][0] = _mm512_and_si512(packed, mask);
            w[r][1] = _mm512_gf2p8affine_epi64_epi8(packed, crumb[0], 0);
            w[r][2] = _mm512_gf2p8affine_epi64_epi8(packed, crumb[1], 0);
            w[r][3] = _mm512_gf2p8affine_epi64_epi8(packed, crumb[2], 0);
        }
        // unrolled whole, so that the accumulators stay in registers: at 2 x 8 of them clang's own limit
        // left the loop over vectors rolled, its accumulators on the stack
#pragma clang loop unroll(full)
        for (int v = 0; v < NB; ++v) {
            const int32_t * x4 = (const int32_t *)(xp + v * x_stride + (uint64_t)ct * I2_TILE);
#pragma clang loop unroll(full)
            for (int j = 0; j < 4; ++j) {
                const __m512i xb = _mm512_set1_epi32(x4[j]);
#pragma clang loop unroll(full)
                for (int r = 0; r < RT; ++r) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], w[r][j], xb);
            }
        }
    }
}

// Batch 1: one accumulator per crumb so the four products of a tile do not wait on each
// other (vpdpbusd has a latency of several cycles).
static inline __attribute__((always_inline)) void gemv_block(
        const uint8_t * tiles, uint64_t tile_stride, int RT, const int8_t * xp, uint32_t n_col_tiles, __m512i out[MAX_RT]) {
    const __m512i mask = _mm512_set1_epi8(3);
    __m512i acc[MAX_RT][4];
    for (int r = 0; r < RT; ++r) for (int j = 0; j < 4; ++j) acc[r][j] = _mm512_setzero_si512();
    for (uint32_t ct = 0; ct < n_col_tiles; ++ct) {
        const int32_t * x4 = (const int32_t *)(xp + (uint64_t)ct * I2_TILE);
        for (int r = 0; r < RT; ++r) {
            const __m512i packed = _mm512_loadu_si512(tiles + r * tile_stride + (uint64_t)ct * I2_TILE_BYTES);
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], _mm512_and_si512(packed, mask), _mm512_set1_epi32(x4[0]));
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], _mm512_and_si512(_mm512_srli_epi16(packed, 2), mask), _mm512_set1_epi32(x4[1]));
            acc[r][2] = _mm512_dpbusd_epi32(acc[r][2], _mm512_and_si512(_mm512_srli_epi16(packed, 4), mask), _mm512_set1_epi32(x4[2]));
            acc[r][3] = _mm512_dpbusd_epi32(acc[r][3], _mm512_and_si512(_mm512_srli_epi16(packed, 6), mask), _mm512_set1_epi32(x4[3]));
        }
    }
    for (int r = 0; r < RT; ++r) {
        out[r] = _mm512_add_epi32(_mm512_add_epi32(acc[r][0], acc[r][1]), _mm512_add_epi32(acc[r][2], acc[r][3]));
    }
}

static inline __attribute__((always_inline)) void run_block(const i2_ctx * c, const rsr_product * p, uint32_t rt, int RT,
                                                            uint32_t v0, int NB) {
    const rsr_layout_header * h = p->h;
    const uint64_t tile_stride = (uint64_t)h->n_groups * I2_TILE_BYTES, x_stride = i2_padded_cols(h);
    __m512i acc[MAX_RT][MAX_NB];
    if (NB == 1) {
        __m512i out[MAX_RT];
        gemv_block(i2_tiles(h, p->base, rt), tile_stride, RT, c->xp + v0 * x_stride, h->n_groups, out);
        for (int r = 0; r < RT; ++r) acc[r][0] = out[r];
    } else {
        for (int r = 0; r < RT; ++r) for (int v = 0; v < NB; ++v) acc[r][v] = _mm512_setzero_si512();
        tile_block(i2_tiles(h, p->base, rt), tile_stride, RT, c->xp + v0 * x_stride, x_stride, NB, h->n_groups, acc);
    }
    for (int r = 0; r < RT; ++r) {
        const uint32_t row = (rt + r) * I2_TILE;
        const __mmask16 m = (__mmask16)(h->rows - row >= 16 ? 0xffff : (1u << (h->rows - row)) - 1);
        for (int v = 0; v < NB; ++v) {
            int32_t * y = (int32_t *)p->y + (uint64_t)(v0 + v) * h->rows + row;
            _mm512_mask_storeu_epi32(y, m, _mm512_sub_epi32(acc[r][v], _mm512_set1_epi32(c->sums[v0 + v])));
        }
    }
}

// Dispatches a remainder count to a call with a compile-time constant, so loops unroll into registers.
#define WITH_CONST(n, NAME, body) \
    switch (n) { case 1: { enum { NAME = 1 }; body; } break; case 2: { enum { NAME = 2 }; body; } break; \
                 case 3: { enum { NAME = 3 }; body; } break; case 4: { enum { NAME = 4 }; body; } break; \
                 case 5: { enum { NAME = 5 }; body; } break; case 6: { enum { NAME = 6 }; body; } break; \
                 case 7: { enum { NAME = 7 }; body; } break; default: { enum { NAME = 8 }; body; } break; }

static void row_tiles_task(void * raw, uint32_t task, int thread) {
    const i2_ctx * c = raw;
    uint32_t t0, t1;
    const rsr_product * p = i2_task_tiles(c, task, &t0, &t1);
    const uint32_t batch = p->batch;
    if (batch == 1) {
        // One row tile at a time: a single sequential stream per thread reads DRAM fastest.
        for (uint32_t rt = t0; rt < t1; ++rt) run_block(c, p, rt, 1, 0, 1);
        return;
    }
    for (uint32_t rt = t0; rt < t1; rt += 2) {
        for (uint32_t v0 = 0; v0 < batch; v0 += MAX_NB) {
            if (t1 - rt >= 2) { WITH_CONST(batch - v0, NB, run_block(c, p, rt, 2, v0, NB)); }
            else { WITH_CONST(batch - v0, NB, run_block(c, p, rt, 1, v0, NB)); }
        }
    }
}

rsr_status rsr_products_i8_i2_avx512(const rsr_product * const * p, uint32_t n) { return i2_run(p, n, row_tiles_task); }
rsr_status rsr_product_i8_i2_avx512(const rsr_product * p) { return i2_run(&p, 1, row_tiles_task); }

#pragma clang attribute pop

#endif
