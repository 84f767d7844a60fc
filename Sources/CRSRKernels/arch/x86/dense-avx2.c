// dense-avx2.c: the output head's rows with AVX2, for CPUs without AVX-512 (Zen 1-3, most client cores):
// F32 and BF16 widened to f32 and fused into 4 accumulators; Q8_ROW, Q4_32 and Q6_256 as int8 dot products
// with vpmaddubsw, whose pairs of u8 x s8 products fit int16 unsaturated for these codes, and vpmaddwd.
// F16 rows need F16C, which AVX2 does not imply: they take it where CPUID reports it, else the portable loop.
#if defined(__x86_64__)

#include "../../dense.h"
#include "simd-x86.h"

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX2))), apply_to = function)

static inline float reduce_ps(__m256 sum) {
    const __m128 half = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    const __m128 quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));
    return _mm_cvtss_f32(_mm_add_ss(quarter, _mm_movehdup_ps(quarter)));
}

static inline int32_t reduce_epi32(__m256i sum) {
    const __m128i half = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    const __m128i quarter = _mm_add_epi32(half, _mm_unpackhi_epi64(half, half));
    return _mm_cvtsi128_si32(_mm_add_epi32(quarter, _mm_shuffle_epi32(quarter, 1)));
}

static inline __m256 load8_float(rsr_dtype type, const uint8_t * row, uint32_t c) {
    if (type == RSR_DTYPE_F32) return _mm256_loadu_ps((const float *)row + c);
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + c)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

// A float row streams from DRAM once per token, with a prefetch into L2 8 KiB ahead as dense-avx512.c's.
// LOAD8(c) gives values c .. c + 7 as floats, SCALAR(c) value c.
#define DENSE_FLOAT_ROW(size, LOAD8, SCALAR)                                                                 \
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };  \
    uint32_t c = 0;                                                                                         \
    for (; c + 32 <= m->cols; c += 32) {                                                                    \
        for (uint32_t b = 0; b < 32 * (size); b += 64) _mm_prefetch((const char *)row + (uint64_t)c * (size) + b + 8192, _MM_HINT_T1); \
        for (int i = 0; i < 4; ++i) acc[i] = _mm256_fmadd_ps(LOAD8(c + 8 * i), _mm256_loadu_ps(m->x + c + 8 * i), acc[i]); \
    }                                                                                                       \
    float tail = 0;                                                                                         \
    for (; c < m->cols; ++c) tail += SCALAR(c) * m->x[c];                                                   \
    return reduce_ps(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]))) + tail;

static float float_row(const dense_matvec * m, const uint8_t * row) {
    const uint32_t size = m->type == RSR_DTYPE_F32 ? 4 : 2;
#define LOAD8(c) load8_float(m->type, row, c)
#define SCALAR(c) (m->type == RSR_DTYPE_F32 ? ((const float *)row)[c] : rsr_bf16_to_f32(((const uint16_t *)row)[c]))
    DENSE_FLOAT_ROW(size, LOAD8, SCALAR)
#undef LOAD8
#undef SCALAR
}

// vpmaddubsw takes one unsigned operand: |w| against x with w's sign (|w| <= 128, so pairs stay under 2^15).
static int32_t q8_row(const dense_matvec * m, const int8_t * w) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    uint32_t c = 0;
    for (; c + 64 <= m->cols; c += 64) {
        _mm_prefetch((const char *)w + c + 4096, _MM_HINT_T1);
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + c)), w1 = _mm256_loadu_si256((const __m256i *)(w + c + 32));
        const __m256i x0 = _mm256_loadu_si256((const __m256i *)(m->xq + c)), x1 = _mm256_loadu_si256((const __m256i *)(m->xq + c + 32));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w0), _mm256_sign_epi8(x0, w0)), ones));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w1), _mm256_sign_epi8(x1, w1)), ones));
    }
    int32_t dot = reduce_epi32(_mm256_add_epi32(acc0, acc1));
    for (; c < m->cols; ++c) dot += w[c] * m->xq[c];
    return dot;
}

// One 32-value block (18 bytes) per step: its 16 payload bytes as low nibbles (values 0..15) then high ones
// (16..31), in line with the activations; the 8 dword sums, less the block's share of 8 * sum(x) (the codes
// are q + 8), scaled by its d in float lane by lane.
static float q4_row(const dense_matvec * m, const uint8_t * row) {
    const uint32_t blocks = m->cols / Q4_BLOCK;
    const __m256i low4 = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
    const __m256 eighth = _mm256_set1_ps(0.125f);
    __m256 acc = _mm256_setzero_ps();
    for (uint32_t b = 0; b < blocks; ++b) {
        const uint8_t * block = row + (uint64_t)b * Q4_BLOCK_BYTES;
        if (b % 4 == 0) _mm_prefetch((const char *)block + 4096, _MM_HINT_T1);
        const __m128i payload = _mm_loadu_si128((const __m128i *)(block + 2));
        const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(payload), _mm_srli_epi16(payload, 4), 1);
        const __m256i q = _mm256_and_si256(both, low4);
        const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(q, _mm256_loadu_si256((const __m256i *)(m->xq + b * Q4_BLOCK))), ones);
        uint16_t dh;
        memcpy(&dh, block, 2);
        const __m256 share = _mm256_mul_ps(_mm256_set1_ps(m->block_sums[b]), eighth);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(rsr_f16_to_f32(dh)), _mm256_sub_ps(_mm256_cvtepi32_ps(dot), share), acc);
    }
    return reduce_ps(acc);
}

// Q6_256, 32 values a step in their natural order: value j's low four bits are nibble byte j % 128 (its
// high half from value 128 on) and its top two bits pair byte j % 64, shifted by 2 (j / 64); the input is
// stored in natural order too (dense.c). vpmaddubsw of the codes 0..63 with x leaves pairs of products, and
// chunks go two at a time: the four pairs of each 16-value part gather into two int16 lanes (a quarter of a
// lane each from both chunks: four products, at most 4 * 63 * 128 = 32256), so that one vpmaddwd by the
// parts' int16 scales serves 64 values where it served 32. Zen 1 runs both multiplies on one of its four
// vector pipes, and at 8 vectors that pipe bounds the head. The parts' -32 * sum(x), times their scales,
// centre the codes. Each block's int32 lanes are scaled by its d in float, so only their total matters.
typedef struct q6_avx2_consts {
    // chunk pair j of a half: int16 lanes 0-3 take scale 4j, 4-7 scale 4j + 2 in the low 128 bits; 4j + 1
    // and 4j + 3 in the high ones
    uint8_t scale_pick[2][32];
} q6_avx2_consts;

static const q6_avx2_consts q6k2 = {
    .scale_pick = {
        { 0, 1, 0, 1, 0, 1, 0, 1, 4, 5, 4, 5, 4, 5, 4, 5, 2, 3, 2, 3, 2, 3, 2, 3, 6, 7, 6, 7, 6, 7, 6, 7 },
        { 8, 9, 8, 9, 8, 9, 8, 9, 12, 13, 12, 13, 12, 13, 12, 13, 10, 11, 10, 11, 10, 11, 10, 11, 14, 15, 14, 15, 14, 15, 14, 15 },
    },
};

// The codes of values 32 c .. 32 c + 31 of the block at `at`.
static inline __attribute__((always_inline)) __m256i q6_codes(const uint8_t * at, int c) {
    const __m256i low4 = _mm256_set1_epi8(15), top2 = _mm256_set1_epi8(0x30);
    const __m256i nibbles = _mm256_loadu_si256((const __m256i *)(at + Q6_NIBBLES + 32 * (c % 4)));
    const __m256i low = _mm256_and_si256(c < 4 ? nibbles : _mm256_srli_epi16(nibbles, 4), low4);
    const __m256i pairs = _mm256_loadu_si256((const __m256i *)(at + Q6_PAIRS + 32 * (c % 2)));
    __m256i high;
    switch (c / 2) {
    case 0: high = _mm256_slli_epi16(pairs, 4); break;
    case 1: high = _mm256_slli_epi16(pairs, 2); break;
    case 2: high = pairs; break;
    default: high = _mm256_srli_epi16(pairs, 2); break;
    }
    return _mm256_or_si256(low, _mm256_and_si256(high, top2));
}

// A row against NB vectors: a block's codes and scales are unpacked once for all of them, chunk by chunk
// (every vector's int32 sums stay in registers), and each vector's lanes take the same operations in the
// same order as alone, so a batch gives the same bits as its vectors one at a time.
static inline __attribute__((always_inline)) void q6_row_vectors(const dense_matvec * m, int NB, const uint8_t * row, float * out) {
    const uint32_t blocks = m[0].cols / Q6_BLOCK;
    __m256i pick[2];
    for (int i = 0; i < 2; ++i) pick[i] = _mm256_loadu_si256((const __m256i *)q6k2.scale_pick[i]);
    __m256 acc[DENSE_BATCH_VECTORS];
    for (int v = 0; v < NB; ++v) acc[v] = _mm256_setzero_ps();
    for (uint32_t b = 0; b < blocks; ++b) {
        const uint8_t * at = row + (uint64_t)b * Q6_BLOCK_BYTES;
        for (int line = 0; line < 4; ++line) _mm_prefetch((const char *)at + 8192 + 64 * line, _MM_HINT_T1);
        const __m128i scale8 = _mm_loadu_si128((const __m128i *)(at + 2));
        const __m256i scale16 = _mm256_cvtepi8_epi16(scale8);
        const __m256i scales_low = _mm256_permute2x128_si256(scale16, scale16, 0x00);
        const __m256i scales_high = _mm256_permute2x128_si256(scale16, scale16, 0x11);
        const int8_t * xs = m[0].xq_q6 + (uint64_t)b * NB * Q6_BLOCK;
        const int16_t * part_sums = m[0].part_sums + (uint64_t)b * NB * (Q6_BLOCK / Q6_SUB);
        __m256i sum[DENSE_BATCH_VECTORS];
        #pragma clang loop unroll(full)
        for (int c = 0; c < 8; c += 2) {
            const __m256i q0 = q6_codes(at, c), q1 = q6_codes(at, c + 1);
            const __m256i scale = _mm256_shuffle_epi8(c < 4 ? scales_low : scales_high, pick[c / 2 % 2]);
            #pragma clang loop unroll(full)
            for (int v = 0; v < NB; ++v) {
                const __m256i x0 = _mm256_loadu_si256((const __m256i *)(xs + v * Q6_BLOCK + 32 * c));
                const __m256i x1 = _mm256_loadu_si256((const __m256i *)(xs + v * Q6_BLOCK + 32 * c + 32));
                const __m256i p0 = _mm256_maddubs_epi16(q0, x0), p1 = _mm256_maddubs_epi16(q1, x1);
                const __m256i fours = _mm256_add_epi16(_mm256_unpacklo_epi64(p0, p1), _mm256_unpackhi_epi64(p0, p1));
                const __m256i part = _mm256_madd_epi16(fours, scale);
                sum[v] = c == 0 ? part : _mm256_add_epi32(sum[v], part);
            }
        }
        // the parts' scales times 32 (at most 4096) by their negated input sums (at most 2048): vpmaddwd
        // where two vpmulld would take 8 cycles of Zen 1's one multiplier pipe
        const __m256i scale16x32 = _mm256_slli_epi16(scale16, 5);
        uint16_t dh;
        memcpy(&dh, at, 2);
        const __m256 d = _mm256_set1_ps(rsr_f16_to_f32(dh));
        #pragma clang loop unroll(full)
        for (int v = 0; v < NB; ++v) {
            const __m256i centre = _mm256_madd_epi16(scale16x32, _mm256_loadu_si256((const __m256i *)(part_sums + v * (Q6_BLOCK / Q6_SUB))));
            acc[v] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_add_epi32(sum[v], centre)), acc[v]);
        }
    }
    for (int v = 0; v < NB; ++v) out[v] = reduce_ps(acc[v]);
}

void dense_q6_rows_batch_avx2(const dense_matvec * m, uint32_t n, uint32_t r0, uint32_t r1) {
    DENSE_Q6_ROWS(q6_row_vectors);
}

void dense_rows_avx2(const dense_matvec * m, uint32_t r0, uint32_t r1) {
    const uint32_t cols = m->cols;
    if (m->type == RSR_DTYPE_F16) {
        if (rsr_x86_has_f16c()) dense_f16_rows_avx2(m, r0, r1);
        else dense_rows_generic(m, r0, r1);
        return;
    }
    if (m->type == RSR_DTYPE_Q6_256) {
        dense_q6_rows_batch_avx2(m, 1, r0, r1);
        return;
    }
    for (uint32_t r = r0; r < r1; ++r) {
        switch (m->type) {
        case RSR_DTYPE_F32: m->y[r] = float_row(m, m->w + (uint64_t)r * cols * 4); break;
        case RSR_DTYPE_BF16: m->y[r] = float_row(m, m->w + (uint64_t)r * cols * 2); break;
        case RSR_DTYPE_Q8_ROW: m->y[r] = (float)q8_row(m, (const int8_t *)m->w + (uint64_t)r * cols) * dense_q8_scale(m, r) / m->xs; break;
        case RSR_DTYPE_Q4_32: m->y[r] = q4_row(m, m->w + (uint64_t)r * (cols / Q4_BLOCK) * Q4_BLOCK_BYTES) / m->xs; break;
        default: break;
        }
    }
}

#pragma clang attribute pop

// F16 rows, only where CPUID reports F16C (dense_rows_avx2).
__attribute__((target(RSR_TARGET_AVX2 ",f16c"))) static float f16_row(const dense_matvec * m, const uint16_t * row) {
#define LOAD8(c) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + (c))))
#define SCALAR(c) rsr_f16_to_f32(row[c])
    DENSE_FLOAT_ROW(2, LOAD8, SCALAR)
#undef LOAD8
#undef SCALAR
}

__attribute__((target(RSR_TARGET_AVX2 ",f16c"))) void dense_f16_rows_avx2(const dense_matvec * m, uint32_t r0, uint32_t r1) {
    for (uint32_t r = r0; r < r1; ++r) m->y[r] = f16_row(m, (const uint16_t *)m->w + (uint64_t)r * m->cols);
}

#endif
