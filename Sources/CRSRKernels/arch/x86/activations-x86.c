// activations-x86.c: attention scores and value sums in the generic code's order (sixteen partial sums of
// fused multiply-adds per dot product, added pairwise; a fused multiply-add per value and position, positions
// in order), exponentials in glibc's steps, so the results are the same bits on every ISA; and int8
// quantization sixteen lanes wide (cvtps rounds half to even like rintf; the saturating narrow is the clamp).
#if defined(__x86_64__)

#include "../../activations.h"
#include "simd-x86.h"

#include <math.h>

// The lane sums of four accumulators at once, each in the order ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 +
// l7)): hadd adds neighbouring lanes, twice, then the halves are added.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX2))) __m128 pairwise4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// Sixteen lanes (lanes 0-7 in lo, 8-15 in hi) of four accumulators summed as act_pairwise16 sums them.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX2))) __m128 pairwise16x4(const __m256 lo[4], const __m256 hi[4]) {
    return _mm_add_ps(pairwise4(lo[0], lo[1], lo[2], lo[3]), pairwise4(hi[0], hi[1], hi[2], hi[3]));
}

// ---- AVX2: sixteen lanes as two registers -------------------------------------------------------------------

// Scores of NP (1 or 4) positions from kp on, for d a multiple of 16. ROWS: row after row, at ascending
// addresses, the order the hardware prefetchers follow; otherwise the rows are interleaved, NP independent
// chains hiding the latency one chain waits on.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX2))) void
score_positions_avx2(const float * q, const float * kp, uint32_t stride, uint32_t d, float scale, float * scores, int NP, bool ROWS) {
    __m256 lo[4], hi[4];
    for (int j = 0; j < 4; ++j) lo[j] = hi[j] = _mm256_setzero_ps();
    if (ROWS) {
        for (int j = 0; j < NP; ++j) {
            const float * row = kp + (uint64_t)j * stride;
            for (uint32_t i = 0; i < d; i += 16) {
                lo[j] = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(row + i), lo[j]);
                hi[j] = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(row + i + 8), hi[j]);
            }
        }
    } else {
        for (uint32_t i = 0; i < d; i += 16) {
            const __m256 q0 = _mm256_loadu_ps(q + i), q1 = _mm256_loadu_ps(q + i + 8);
            for (int j = 0; j < NP; ++j) {
                lo[j] = _mm256_fmadd_ps(q0, _mm256_loadu_ps(kp + (uint64_t)j * stride + i), lo[j]);
                hi[j] = _mm256_fmadd_ps(q1, _mm256_loadu_ps(kp + (uint64_t)j * stride + i + 8), hi[j]);
            }
        }
    }
    const __m128 s = _mm_mul_ps(pairwise16x4(lo, hi), _mm_set1_ps(scale));
    if (NP == 4) _mm_storeu_ps(scores, s);
    else scores[0] = _mm_cvtss_f32(s);
}

static inline __attribute__((always_inline, target(RSR_TARGET_AVX2))) void
scores_avx2(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale, float * scores, bool ROWS) {
    if (d % 16) {
        act_scores_generic(q, k, n, stride, d, scale, scores);
        return;
    }
    uint32_t p = 0;
    for (; p + 4 <= n; p += 4) score_positions_avx2(q, k + (uint64_t)p * stride, stride, d, scale, scores + p, 4, ROWS);
    for (; p < n; ++p) score_positions_avx2(q, k + (uint64_t)p * stride, stride, d, scale, scores + p, 1, ROWS);
}

__attribute__((target(RSR_TARGET_AVX2))) void act_scores_avx2(const float * q, const float * k, uint32_t n, uint32_t stride,
                                                            uint32_t d, float scale, float * scores) {
    scores_avx2(q, k, n, stride, d, scale, scores, false);
}

__attribute__((target(RSR_TARGET_AVX2))) void act_scores_rows_avx2(const float * q, const float * k, uint32_t n,
                                                                 uint32_t stride, uint32_t d, float scale, float * scores) {
    scores_avx2(q, k, n, stride, d, scale, scores, true);
}

// Output values i0 .. i0 + 8 * nv, added to, in registers while the positions stream past in order (nv is a
// constant at each call site, so the accumulators stay in registers). w holds each position's weight.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX2))) void
weighted_chunk(float * out, const float * w, const float * v, uint32_t n, uint32_t stride, uint32_t i0, int nv) {
    __m256 acc[8];
    for (int j = 0; j < nv; ++j) acc[j] = _mm256_loadu_ps(out + i0 + 8 * j);
    for (uint32_t p = 0; p < n; ++p) {
        const __m256 wp = _mm256_broadcast_ss(w + p);
        const float * vp = v + (uint64_t)p * stride + i0;
        for (int j = 0; j < nv; ++j) acc[j] = _mm256_fmadd_ps(wp, _mm256_loadu_ps(vp + 8 * j), acc[j]);
    }
    for (int j = 0; j < nv; ++j) _mm256_storeu_ps(out + i0 + 8 * j, acc[j]);
}

// Positions in runs of WEIGHTED_RUN: each run's weights (weights[p] / total, the same division eight lanes
// at a time) are divided once for every chunk of output values instead of once per chunk.
#define WEIGHTED_RUN 32u

__attribute__((target(RSR_TARGET_AVX2))) void act_weighted_sum_avx2(float * out, const float * weights, float total,
                                                                  const float * v, uint32_t n, uint32_t stride, uint32_t d) {
    _Alignas(32) float w[WEIGHTED_RUN];
    const __m256 t = _mm256_set1_ps(total);
    for (uint32_t p0 = 0; p0 < n; p0 += WEIGHTED_RUN) {
        const uint32_t m = rsr_min_u32(WEIGHTED_RUN, n - p0);
        const float * vp = v + (uint64_t)p0 * stride;
        uint32_t j = 0;
        for (; j + 8 <= m; j += 8) _mm256_store_ps(w + j, _mm256_div_ps(_mm256_loadu_ps(weights + p0 + j), t));
        for (; j < m; ++j) w[j] = weights[p0 + j] / total;
        uint32_t i0 = 0;
        for (; i0 + 64 <= d; i0 += 64) weighted_chunk(out, w, vp, m, stride, i0, 8);
        if (i0 + 32 <= d) {
            weighted_chunk(out, w, vp, m, stride, i0, 4);
            i0 += 32;
        }
        for (; i0 + 8 <= d; i0 += 8) weighted_chunk(out, w, vp, m, stride, i0, 1);
        for (uint32_t p = 0; p < m && i0 < d; ++p) {
            const float * row = vp + (uint64_t)p * stride;
            for (uint32_t i = i0; i < d; ++i) out[i] = fmaf(w[p], row[i], out[i]);
        }
    }
}

// ---- AVX-512: sixteen lanes as one register -----------------------------------------------------------------

// a += q . row lane by lane, the row's values in order (any d: the last sixteen masked, as in
// dot_rows_interleaved).
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) __m512
dot_row(__m512 a, const float * q, const float * row, uint32_t d) {
    const uint32_t whole = d & ~15u;
    const __mmask16 tail = (__mmask16)((1u << (d % 16)) - 1);
    for (uint32_t i = 0; i < whole; i += 16) a = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(row + i), a);
    if (tail) a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, q + whole), _mm512_maskz_loadu_ps(tail, row + whole), a);
    return a;
}

// a[j] += q . k[j] lane by lane for NP rows interleaved (q loaded once per sixteen values for all of them),
// any d: the last sixteen values masked, where a zero product adds nothing to a lane, as the generic code
// leaves the lane alone.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) void
dot_rows_interleaved(__m512 * a, int NP, const float * q, const float * kp, uint32_t stride, uint32_t d) {
    const uint32_t whole = d & ~15u;
    const __mmask16 tail = (__mmask16)((1u << (d % 16)) - 1);
    for (uint32_t i = 0; i < whole; i += 16) {
        const __m512 qi = _mm512_loadu_ps(q + i);
        for (int j = 0; j < NP; ++j) a[j] = _mm512_fmadd_ps(qi, _mm512_loadu_ps(kp + (uint64_t)j * stride + i), a[j]);
    }
    if (tail) {
        const __m512 qi = _mm512_maskz_loadu_ps(tail, q + whole);
        for (int j = 0; j < NP; ++j) a[j] = _mm512_fmadd_ps(qi, _mm512_maskz_loadu_ps(tail, kp + (uint64_t)j * stride + whole), a[j]);
    }
}

// Scores of NP (1 or 4) positions from kp on, any d (masked as in dot_rows_interleaved); ROWS as in
// score_positions_avx2.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) void
score_positions_avx512(const float * q, const float * kp, uint32_t stride, uint32_t d, float scale, float * scores, int NP, bool ROWS) {
    __m512 a[4];
    for (int j = 0; j < 4; ++j) a[j] = _mm512_setzero_ps();
    if (ROWS) {
        for (int j = 0; j < NP; ++j) a[j] = dot_row(a[j], q, kp + (uint64_t)j * stride, d);
    } else {
        dot_rows_interleaved(a, NP, q, kp, stride, d);
    }
    const __m128 s = _mm_set1_ps(scale);
    for (int j = 0; j < NP; j += 4) {
        const __m256 lo[4] = { _mm512_castps512_ps256(a[j]), _mm512_castps512_ps256(a[j + 1]),
                               _mm512_castps512_ps256(a[j + 2]), _mm512_castps512_ps256(a[j + 3]) };
        const __m256 hi[4] = { _mm512_extractf32x8_ps(a[j], 1), _mm512_extractf32x8_ps(a[j + 1], 1),
                               _mm512_extractf32x8_ps(a[j + 2], 1), _mm512_extractf32x8_ps(a[j + 3], 1) };
        const __m128 sum = _mm_mul_ps(pairwise16x4(lo, hi), s);
        if (NP == 1) scores[0] = _mm_cvtss_f32(sum);
        else _mm_storeu_ps(scores + j, sum);
    }
}

// Adjacent lanes of x then y added: [x0 + x1, x2 + x3, ..., x14 + x15, y0 + y1, ..., y14 + y15].
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) __m512 add_pairs(__m512 x, __m512 y) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    return _mm512_add_ps(_mm512_permutex2var_ps(x, even, y), _mm512_permutex2var_ps(x, odd, y));
}

// Lane j: the sixteen lanes of a[j] summed as act_pairwise16 sums them, times scale, all 16 at once: four
// rounds of adding adjacent lanes of two registers (15 of them, two one-uop permutes and an add each), where
// hadd-based sums of four at a time cost a shuffle port twice as much.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) __m512 lane_sums16(const __m512 a[16], float scale) {
    __m512 pairs[8], quads[4], octets[2];
    for (int i = 0; i < 8; ++i) pairs[i] = add_pairs(a[2 * i], a[2 * i + 1]);          // two accumulators of 8 sums
    for (int i = 0; i < 4; ++i) quads[i] = add_pairs(pairs[2 * i], pairs[2 * i + 1]);   // four of 4
    for (int i = 0; i < 2; ++i) octets[i] = add_pairs(quads[2 * i], quads[2 * i + 1]);  // eight of 2
    return _mm512_mul_ps(add_pairs(octets[0], octets[1]), _mm512_set1_ps(scale));
}

// Scores of 16 positions from kp on, position j's in lane j (lane_sums16). ROWS as in score_positions_avx2:
// row after row; with d = 16 NQ (NQ > 0) q stays in registers, so that a row's loads are its keys alone,
// and any other d (past 128, or with a tail) reloads q from L1 (its 16 rows interleaved instead, Falcon3's
// head size of 256 decoded 8-10% slower at 1024 positions). Otherwise any d, the last sixteen masked.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) void
score16_avx512(const float * q, const float * kp, uint32_t stride, uint32_t d, float scale, float * scores, bool ROWS, int NQ) {
    __m512 a[16];
    for (int j = 0; j < 16; ++j) a[j] = _mm512_setzero_ps();
    if (ROWS && NQ) {
        __m512 qv[8];
        for (int i = 0; i < NQ; ++i) qv[i] = _mm512_loadu_ps(q + 16 * i);
        for (int j = 0; j < 16; ++j) {
            for (int i = 0; i < NQ; ++i) a[j] = _mm512_fmadd_ps(qv[i], _mm512_loadu_ps(kp + (uint64_t)j * stride + 16 * i), a[j]);
        }
    } else if (NQ) { // interleaved rows load q as they go: one load per 16 multiply-adds, fewer live registers
        for (int i = 0; i < NQ; ++i) {
            const __m512 qi = _mm512_loadu_ps(q + 16 * i);
            for (int j = 0; j < 16; ++j) a[j] = _mm512_fmadd_ps(qi, _mm512_loadu_ps(kp + (uint64_t)j * stride + 16 * i), a[j]);
        }
    } else if (ROWS) { // q too large for registers beside the sums, or a tail: reloaded from L1, rows still in order
        for (int j = 0; j < 16; ++j) a[j] = dot_row(a[j], q, kp + (uint64_t)j * stride, d);
    } else {
        dot_rows_interleaved(a, 16, q, kp, stride, d);
    }
    _mm512_storeu_ps(scores, lane_sums16(a, scale));
}

// Sixteen positions at a time, then four, then one.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) void
scores_avx512(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale, float * scores, bool ROWS) {
    uint32_t p = 0;
    const uint32_t nq = d % 16 == 0 && d <= 128 ? d / 16 : 0;
    for (; p + 16 <= n; p += 16) {
        const float * kp = k + (uint64_t)p * stride;
        switch (nq) {
#define NQ(N) case N: score16_avx512(q, kp, stride, d, scale, scores + p, ROWS, N); break;
            NQ(1) NQ(2) NQ(3) NQ(4) NQ(5) NQ(6) NQ(7) NQ(8)
#undef NQ
        default: score16_avx512(q, kp, stride, d, scale, scores + p, ROWS, 0); break;
        }
    }
    for (; p + 4 <= n; p += 4) score_positions_avx512(q, k + (uint64_t)p * stride, stride, d, scale, scores + p, 4, ROWS);
    for (; p < n; ++p) score_positions_avx512(q, k + (uint64_t)p * stride, stride, d, scale, scores + p, 1, ROWS);
}

__attribute__((target(RSR_TARGET_AVX512))) void act_scores_avx512(const float * q, const float * k, uint32_t n, uint32_t stride,
                                                                uint32_t d, float scale, float * scores) {
    scores_avx512(q, k, n, stride, d, scale, scores, false);
}

__attribute__((target(RSR_TARGET_AVX512))) void act_scores_rows_avx512(const float * q, const float * k, uint32_t n,
                                                                     uint32_t stride, uint32_t d, float scale, float * scores) {
    scores_avx512(q, k, n, stride, d, scale, scores, true);
}

// Scores of 8 positions for two query rows, d = 16 NQ: the 16 sums (row 0's positions in accumulators 0..7,
// row 1's in 8..15) share each key load and leave the lanes by lane_sums16, which sums every accumulator
// alike: the bits of two score16 calls.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) void
score8x2_avx512(const float * q0, const float * q1, const float * kp, uint32_t stride, float scale, float * s0, float * s1, int NQ) {
    __m512 a[16];
    for (int j = 0; j < 16; ++j) a[j] = _mm512_setzero_ps();
    for (int i = 0; i < NQ; ++i) {
        const __m512 x0 = _mm512_loadu_ps(q0 + 16 * i), x1 = _mm512_loadu_ps(q1 + 16 * i);
        for (int j = 0; j < 8; ++j) {
            const __m512 kj = _mm512_loadu_ps(kp + (uint64_t)j * stride + 16 * i);
            a[j] = _mm512_fmadd_ps(x0, kj, a[j]);
            a[8 + j] = _mm512_fmadd_ps(x1, kj, a[8 + j]);
        }
    }
    const __m512 sums = lane_sums16(a, scale);
    _mm256_storeu_ps(s0, _mm512_castps512_ps256(sums));
    _mm256_storeu_ps(s1, _mm512_extractf32x8_ps(sums, 1));
}

// Eight positions at a time for both rows where d is 16 NQ up to 128 (the rest one row at a time).
__attribute__((target(RSR_TARGET_AVX512))) void act_scores2_avx512(const float * q0, const float * q1, const float * k, uint32_t n,
                                                                 uint32_t stride, uint32_t d, float scale, float * s0, float * s1) {
    uint32_t p = 0;
    if (d % 16 == 0 && d <= 128) {
        for (; p + 8 <= n; p += 8) {
            const float * kp = k + (uint64_t)p * stride;
            switch (d / 16) {
#define NQ(N) case N: score8x2_avx512(q0, q1, kp, stride, scale, s0 + p, s1 + p, N); break;
                NQ(1) NQ(2) NQ(3) NQ(4) NQ(5) NQ(6) NQ(7) NQ(8)
#undef NQ
            }
        }
    }
    if (p < n) {
        scores_avx512(q0, k + (uint64_t)p * stride, n - p, stride, d, scale, s0 + p, false);
        scores_avx512(q1, k + (uint64_t)p * stride, n - p, stride, d, scale, s1 + p, false);
    }
}

// Vector j of NV over a row of values: whole, or the last one's `last` lanes (head sizes that are not
// multiples of 16, such as 100). Each dimension's sum is its own lane, so the width changes no result.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) __m512
load_part(const float * row, int j, int NV, __mmask16 last) {
    return j == NV - 1 ? _mm512_maskz_loadu_ps(last, row + 16 * j) : _mm512_loadu_ps(row + 16 * j);
}
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) void
store_part(float * row, int j, int NV, __mmask16 last, __m512 x) {
    if (j == NV - 1) _mm512_mask_storeu_ps(row + 16 * j, last, x);
    else _mm512_storeu_ps(row + 16 * j, x);
}

// A position's values all in registers (NV vectors of 16, a constant at each call site), positions in
// order: the rows are read at ascending addresses, the order the hardware prefetchers follow (the chunks of
// act_weighted_sum_avx2 read part of each row of a run of positions, then go back for the rest).
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) void
weighted_rows(float * out, const float * w, const float * v, uint32_t n, uint32_t stride, int NV, __mmask16 last) {
    __m512 acc[16];
    for (int j = 0; j < NV; ++j) acc[j] = load_part(out, j, NV, last);
    for (uint32_t p = 0; p < n; ++p) {
        const __m512 wp = _mm512_set1_ps(w[p]);
        const float * vp = v + (uint64_t)p * stride;
        for (int j = 0; j < NV; ++j) acc[j] = _mm512_fmadd_ps(wp, load_part(vp, j, NV, last), acc[j]);
    }
    for (int j = 0; j < NV; ++j) store_part(out, j, NV, last, acc[j]);
}

// A run's m weights divided by the total, sixteen lanes at a time (lanes past m divide zeros).
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) void
divide_run(float * w, const float * weights, float total, uint32_t m) {
    const __m512 t = _mm512_set1_ps(total);
    for (uint32_t j = 0; j < WEIGHTED_RUN / 16; ++j) {
        const uint32_t lanes = m > 16 * j ? rsr_min_u32(m - 16 * j, 16) : 0;
        _mm512_store_ps(w + 16 * j, _mm512_div_ps(_mm512_maskz_loadu_ps((__mmask16)((1u << lanes) - 1), weights + 16 * j), t));
    }
}

// The lanes of the last of a head's vectors of 16.
static inline __mmask16 last_lanes(uint32_t d) { return d % 16 ? (__mmask16)((1u << (d % 16)) - 1) : (__mmask16)0xffff; }

// Head sizes up to 256; larger ones go to act_weighted_sum_avx2.
__attribute__((target(RSR_TARGET_AVX512))) void act_weighted_sum_avx512(float * out, const float * weights, float total,
                                                                      const float * v, uint32_t n, uint32_t stride, uint32_t d) {
    if (d > 256) {
        act_weighted_sum_avx2(out, weights, total, v, n, stride, d);
        return;
    }
    const __mmask16 last = last_lanes(d);
    _Alignas(64) float w[WEIGHTED_RUN];
    for (uint32_t p0 = 0; p0 < n; p0 += WEIGHTED_RUN) {
        const uint32_t m = rsr_min_u32(WEIGHTED_RUN, n - p0);
        divide_run(w, weights + p0, total, m);
        const float * vp = v + (uint64_t)p0 * stride;
        switch (rsr_div_up(d, 16)) {
#define ROWS(NV) case NV: weighted_rows(out, w, vp, m, stride, NV, last); break;
            ROWS(1) ROWS(2) ROWS(3) ROWS(4) ROWS(5) ROWS(6) ROWS(7) ROWS(8)
            ROWS(9) ROWS(10) ROWS(11) ROWS(12) ROWS(13) ROWS(14) ROWS(15) ROWS(16)
#undef ROWS
        }
    }
}

// weighted_rows for two rows of weights over the same values: each value loaded once for both rows, and
// twice the independent chains of multiply-adds (one row's NV chains each wait on the adder's latency).
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) void
weighted_rows2(float * out0, float * out1, const float * w0, const float * w1, const float * v, uint32_t n, uint32_t stride, int NV,
               __mmask16 last) {
    __m512 acc0[8], acc1[8];
    for (int j = 0; j < NV; ++j) {
        acc0[j] = load_part(out0, j, NV, last);
        acc1[j] = load_part(out1, j, NV, last);
    }
    for (uint32_t p = 0; p < n; ++p) {
        const __m512 wp0 = _mm512_set1_ps(w0[p]), wp1 = _mm512_set1_ps(w1[p]);
        const float * vp = v + (uint64_t)p * stride;
        for (int j = 0; j < NV; ++j) {
            const __m512 x = load_part(vp, j, NV, last);
            acc0[j] = _mm512_fmadd_ps(wp0, x, acc0[j]);
            acc1[j] = _mm512_fmadd_ps(wp1, x, acc1[j]);
        }
    }
    for (int j = 0; j < NV; ++j) {
        store_part(out0, j, NV, last, acc0[j]);
        store_part(out1, j, NV, last, acc1[j]);
    }
}

// Head sizes up to 128 (two rows' sums in registers); larger ones row by row.
__attribute__((target(RSR_TARGET_AVX512))) void act_weighted_sum2_avx512(float * out0, float * out1, const float * weights0,
                                                                       const float * weights1, float total0, float total1,
                                                                       const float * v, uint32_t n, uint32_t stride, uint32_t d) {
    if (d > 128) {
        act_weighted_sum_avx512(out0, weights0, total0, v, n, stride, d);
        act_weighted_sum_avx512(out1, weights1, total1, v, n, stride, d);
        return;
    }
    const __mmask16 last = last_lanes(d);
    _Alignas(64) float w0[WEIGHTED_RUN], w1[WEIGHTED_RUN];
    for (uint32_t p0 = 0; p0 < n; p0 += WEIGHTED_RUN) {
        const uint32_t m = rsr_min_u32(WEIGHTED_RUN, n - p0);
        divide_run(w0, weights0 + p0, total0, m);
        divide_run(w1, weights1 + p0, total1, m);
        const float * vp = v + (uint64_t)p0 * stride;
        switch (rsr_div_up(d, 16)) {
#define ROWS(NV) case NV: weighted_rows2(out0, out1, w0, w1, vp, m, stride, NV, last); break;
            ROWS(1) ROWS(2) ROWS(3) ROWS(4) ROWS(5) ROWS(6) ROWS(7) ROWS(8)
#undef ROWS
        }
    }
}

// Four of act_expf's exponentials, its steps in lanes of doubles (the table by a gather); its special
// cases by blends.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX2))) __m128 exp4(__m128 x) {
    const __m256d inv_ln2_n = _mm256_set1_pd(ACT_EXP_INV_LN2_N), shift = _mm256_set1_pd(ACT_EXP_SHIFT);
    const __m256d xd = _mm256_cvtps_pd(x);
    const __m256d kd = _mm256_fmadd_pd(inv_ln2_n, xd, shift);
    const __m256i ki = _mm256_castpd_si256(kd);
    const __m256d r = _mm256_fmsub_pd(inv_ln2_n, xd, _mm256_sub_pd(kd, shift));
    const __m256i entry = _mm256_i64gather_epi64((const long long *)act_exp2_table, _mm256_and_si256(ki, _mm256_set1_epi64x(31)), 8);
    const __m256d s = _mm256_castsi256_pd(_mm256_add_epi64(entry, _mm256_slli_epi64(ki, 47)));
    const __m256d z = _mm256_fmadd_pd(_mm256_set1_pd(ACT_EXP_C0), r, _mm256_set1_pd(ACT_EXP_C1));
    const __m256d y = _mm256_fmadd_pd(z, _mm256_mul_pd(r, r), _mm256_fmadd_pd(_mm256_set1_pd(ACT_EXP_C2), r, _mm256_set1_pd(1.0)));
    __m128 e = _mm256_cvtpd_ps(_mm256_mul_pd(y, s));
    e = _mm_blendv_ps(e, _mm_set1_ps(0x1p-149f), _mm_cmp_ps(x, _mm_set1_ps(ACT_EXP_TINY), _CMP_LT_OQ));
    e = _mm_blendv_ps(e, _mm_setzero_ps(), _mm_cmp_ps(x, _mm_set1_ps(ACT_EXP_UNDERFLOW), _CMP_LT_OQ));
    e = _mm_blendv_ps(e, _mm_set1_ps(INFINITY), _mm_cmp_ps(x, _mm_set1_ps(ACT_EXP_OVERFLOW), _CMP_GT_OQ));
    return _mm_blendv_ps(e, _mm_add_ps(x, x), _mm_cmp_ps(x, x, _CMP_UNORD_Q));
}

// The row's largest value: in any order, NaN ignored as fmaxf ignores it (maxps returns its second operand,
// the lanes so far, when either is NaN).
static inline __attribute__((always_inline, target(RSR_TARGET_AVX2))) float row_max_avx2(const float * row, uint32_t n) {
    __m256 lanes = _mm256_set1_ps(-INFINITY);
    uint32_t p = 0;
    for (; p + 8 <= n; p += 8) lanes = _mm256_max_ps(_mm256_loadu_ps(row + p), lanes);
    _Alignas(32) float lane[8];
    _mm256_store_ps(lane, lanes);
    float max = -INFINITY;
    for (int j = 0; j < 8; ++j) max = fmaxf(max, lane[j]);
    for (; p < n; ++p) max = fmaxf(max, row[p]);
    return max;
}

// The sum act_softmax_generic takes: row[p] into lane p % 16, in order, the lanes added pairwise.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX2))) float row_sum16_avx2(const float * row, uint32_t n) {
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    uint32_t p = 0;
    for (; p + 16 <= n; p += 16) {
        lo = _mm256_add_ps(lo, _mm256_loadu_ps(row + p));
        hi = _mm256_add_ps(hi, _mm256_loadu_ps(row + p + 8));
    }
    _Alignas(32) float lanes[16];
    _mm256_store_ps(lanes, lo);
    _mm256_store_ps(lanes + 8, hi);
    for (; p < n; ++p) lanes[p % 16] += row[p];
    return act_pairwise16(lanes);
}

__attribute__((target(RSR_TARGET_AVX2))) float act_softmax_avx2(float * row, uint32_t n) {
    const float max = row_max_avx2(row, n);
    const __m128 m = _mm_set1_ps(max);
    uint32_t p = 0;
    for (; p + 4 <= n; p += 4) _mm_storeu_ps(row + p, exp4(_mm_sub_ps(_mm_loadu_ps(row + p), m)));
    for (; p < n; ++p) row[p] = act_expf(row[p] - max);
    return row_sum16_avx2(row, n);
}

// Eight of act_expf's exponentials, as exp4 computes four, the 32-entry table read by two two-source
// permutes (the low four bits of k) and a blend (its fifth) instead of a gather: gathers are microcoded
// on recent Intel cores.
static inline __attribute__((always_inline, target(RSR_TARGET_AVX512))) __m256 exp8(__m256 x) {
    const __m512d inv_ln2_n = _mm512_set1_pd(ACT_EXP_INV_LN2_N), shift = _mm512_set1_pd(ACT_EXP_SHIFT);
    const __m512d xd = _mm512_cvtps_pd(x);
    const __m512d kd = _mm512_fmadd_pd(inv_ln2_n, xd, shift);
    const __m512i ki = _mm512_castpd_si512(kd);
    const __m512d r = _mm512_fmsub_pd(inv_ln2_n, xd, _mm512_sub_pd(kd, shift));
    const __m512i t0 = _mm512_loadu_si512(act_exp2_table), t1 = _mm512_loadu_si512(act_exp2_table + 8);
    const __m512i t2 = _mm512_loadu_si512(act_exp2_table + 16), t3 = _mm512_loadu_si512(act_exp2_table + 24);
    const __m512i entry = _mm512_mask_blend_epi64(_mm512_test_epi64_mask(ki, _mm512_set1_epi64(16)),
                                                  _mm512_permutex2var_epi64(t0, ki, t1), _mm512_permutex2var_epi64(t2, ki, t3));
    const __m512d s = _mm512_castsi512_pd(_mm512_add_epi64(entry, _mm512_slli_epi64(ki, 47)));
    const __m512d z = _mm512_fmadd_pd(_mm512_set1_pd(ACT_EXP_C0), r, _mm512_set1_pd(ACT_EXP_C1));
    const __m512d y = _mm512_fmadd_pd(z, _mm512_mul_pd(r, r), _mm512_fmadd_pd(_mm512_set1_pd(ACT_EXP_C2), r, _mm512_set1_pd(1.0)));
    __m256 e = _mm512_cvtpd_ps(_mm512_mul_pd(y, s));
    e = _mm256_mask_blend_ps(_mm256_cmp_ps_mask(x, _mm256_set1_ps(ACT_EXP_TINY), _CMP_LT_OQ), e, _mm256_set1_ps(0x1p-149f));
    e = _mm256_mask_blend_ps(_mm256_cmp_ps_mask(x, _mm256_set1_ps(ACT_EXP_UNDERFLOW), _CMP_LT_OQ), e, _mm256_setzero_ps());
    e = _mm256_mask_blend_ps(_mm256_cmp_ps_mask(x, _mm256_set1_ps(ACT_EXP_OVERFLOW), _CMP_GT_OQ), e, _mm256_set1_ps(INFINITY));
    return _mm256_mask_blend_ps(_mm256_cmp_ps_mask(x, x, _CMP_UNORD_Q), e, _mm256_add_ps(x, x));
}

__attribute__((target(RSR_TARGET_AVX512))) float act_softmax_avx512(float * row, uint32_t n) {
    const float max = row_max_avx2(row, n);
    const __m256 m = _mm256_set1_ps(max);
    uint32_t p = 0;
    for (; p + 8 <= n; p += 8) _mm256_storeu_ps(row + p, exp8(_mm256_sub_ps(_mm256_loadu_ps(row + p), m)));
    for (; p < n; ++p) row[p] = act_expf(row[p] - max);
    return row_sum16_avx2(row, n);
}

__attribute__((target(RSR_TARGET_AVX512))) void act_silu_mul_avx512(float * gate, const float * up, uint64_t n) {
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 r = _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_xor_ps(g, sign))));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_mul_ps(g, r), _mm256_loadu_ps(up + i)));
    }
    act_silu_mul_generic(gate + i, up + i, n - i);
}

__attribute__((target(RSR_TARGET_AVX2))) void act_silu_mul_avx2(float * gate, const float * up, uint64_t n) {
    const __m128 one = _mm_set1_ps(1.0f), sign = _mm_set1_ps(-0.0f);
    uint64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m128 g = _mm_loadu_ps(gate + i);
        const __m128 r = _mm_div_ps(one, _mm_add_ps(one, exp4(_mm_xor_ps(g, sign))));
        _mm_storeu_ps(gate + i, _mm_mul_ps(_mm_mul_ps(g, r), _mm_loadu_ps(up + i)));
    }
    act_silu_mul_generic(gate + i, up + i, n - i);
}

__attribute__((target(RSR_TARGET_AVX512))) float act_quantize_avx512(const float * x, uint32_t n, int8_t * q) {
    __m512 amax = _mm512_setzero_ps();
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
    if (i < n) amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_maskz_loadu_ps((__mmask16)((1u << (n - i)) - 1), x + i)));
    const float m = _mm512_reduce_max_ps(amax);
    const float s = 127.0f / (m > 1e-5f ? m : 1e-5f);
    const __m512 vs = _mm512_set1_ps(s);
    for (i = 0; i < n; i += 16) {
        const __mmask16 mask = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        const __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), vs));
        _mm_mask_storeu_epi8(q + i, mask, _mm512_cvtsepi32_epi8(v));
    }
    return s;
}

// The eight lanes' int32 values saturated to int8 in order (the packs work within 128-bit lanes).
__attribute__((target(RSR_TARGET_AVX2))) static inline __m128i saturate_i8_avx2(__m256i v) {
    const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return _mm_packs_epi16(words, words);
}

__attribute__((target(RSR_TARGET_AVX2))) float act_quantize_avx2(const float * x, uint32_t n, int8_t * q) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 amax = _mm256_setzero_ps();
    uint32_t i = 0;
    // |x| first: maxps returns its second operand when either is NaN, so NaNs are skipped as fmaxf skips them
    for (; i + 8 <= n; i += 8) amax = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + i), magnitude), amax);
    _Alignas(32) float lanes[8];
    _mm256_store_ps(lanes, amax);
    float m = 0;
    for (int l = 0; l < 8; ++l) m = fmaxf(m, lanes[l]);
    for (; i < n; ++i) m = fmaxf(m, fabsf(x[i]));
    const float s = 127.0f / fmaxf(m, 1e-5f);
    const __m256 vs = _mm256_set1_ps(s);
    // cvtps rounds half to even like rintf; NaN gives INT_MIN, which saturates to -128 as the generic clamp does
    for (i = 0; i + 8 <= n; i += 8) {
        _mm_storel_epi64((__m128i *)(q + i), saturate_i8_avx2(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs))));
    }
    for (; i < n; ++i) q[i] = act_quantize_one(x[i], s);
    return s;
}

// ---- Rescaling (activations.h): a / b as q + (a - b q) / b, one rounding, for b in the safe range ------------

__attribute__((target(RSR_TARGET_AVX512))) void act_rescale_avx512(const int32_t * acc, uint32_t n, float s, float weight_scale,
                                                                  bool divide, const float * bias, float * y) {
    const float b = divide ? weight_scale * s : s;
    if (!act_rescale_by_inverse(b)) {
        act_rescale_generic(acc, n, s, weight_scale, divide, bias, y);
        return;
    }
    const __m512 vb = _mm512_set1_ps(b), inverse = _mm512_set1_ps(1.0f / b), ws = _mm512_set1_ps(weight_scale);
    for (uint32_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        const __m512 a = _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m, acc + i));
        const __m512 q = _mm512_mul_ps(a, inverse);
        __m512 v = _mm512_fmadd_ps(_mm512_fnmadd_ps(q, vb, a), inverse, q);
        if (!divide) v = _mm512_mul_ps(v, ws);
        if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + i));
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}

__attribute__((target(RSR_TARGET_AVX2))) void act_rescale_avx2(const int32_t * acc, uint32_t n, float s, float weight_scale,
                                                              bool divide, const float * bias, float * y) {
    const float b = divide ? weight_scale * s : s;
    uint32_t i = 0;
    if (act_rescale_by_inverse(b)) {
        const __m256 vb = _mm256_set1_ps(b), inverse = _mm256_set1_ps(1.0f / b), ws = _mm256_set1_ps(weight_scale);
        for (; i + 8 <= n; i += 8) {
            const __m256 a = _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(acc + i)));
            const __m256 q = _mm256_mul_ps(a, inverse);
            __m256 v = _mm256_fmadd_ps(_mm256_fnmadd_ps(q, vb, a), inverse, q);
            if (!divide) v = _mm256_mul_ps(v, ws);
            if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + i));
            _mm256_storeu_ps(y + i, v);
        }
    }
    act_rescale_generic(acc + i, n - i, s, weight_scale, divide, bias ? bias + i : NULL, y + i);
}

// ---- Halves (caches of keys and values) --------------------------------------------------------------------
// vcvtph2ps is exact; vcvtps2ph rounds to nearest even, after a clamp to +-65504 that lets NaN through
// (minps and maxps return their second operand when either is NaN).

__attribute__((target(RSR_TARGET_AVX2 ",f16c"))) void act_widen_avx2(const uint16_t * h, uint64_t n, float * out) {
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
    act_widen_generic(h + i, n - i, out + i);
}

__attribute__((target(RSR_TARGET_AVX2 ",f16c"))) void act_narrow_avx2(const float * x, uint64_t n, uint16_t * out) {
    const __m256 top = _mm256_set1_ps(65504.0f), bottom = _mm256_set1_ps(-65504.0f);
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_max_ps(bottom, _mm256_min_ps(top, _mm256_loadu_ps(x + i)));
        _mm_storeu_si128((__m128i *)(out + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    act_narrow_generic(x + i, n - i, out + i);
}

__attribute__((target(RSR_TARGET_AVX512 ",f16c"))) void act_widen_avx512(const uint16_t * h, uint64_t n, float * out) {
    uint64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(h + i))));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(out + i, m, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, h + i)));
    }
}

__attribute__((target(RSR_TARGET_AVX512 ",f16c"))) void act_narrow_avx512(const float * x, uint64_t n, uint16_t * out) {
    const __m512 top = _mm512_set1_ps(65504.0f), bottom = _mm512_set1_ps(-65504.0f);
    uint64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_max_ps(bottom, _mm512_min_ps(top, _mm512_loadu_ps(x + i)));
        _mm256_storeu_si256((__m256i *)(out + i), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512 v = _mm512_max_ps(bottom, _mm512_min_ps(top, _mm512_maskz_loadu_ps(m, x + i)));
        _mm256_mask_storeu_epi16(out + i, m, _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
}

#endif
