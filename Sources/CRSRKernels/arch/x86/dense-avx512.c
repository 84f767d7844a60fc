// dense-avx512.c: the output head's rows with AVX-512: F32, F16 (vcvtph2ps) and BF16 (a shift) widened
// to f32 and fused into 4 accumulators; Q8_ROW, Q4_32 and Q6_256 as int8 dot products with VNNI.
#if defined(__x86_64__)

#include "../../dense.h"
#include "simd-x86.h"

#include <pthread.h>

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX512 ",f16c"))), apply_to = function)

static inline __m256 load8(rsr_dtype type, const uint8_t * row, uint32_t c, __mmask8 mask) {
    switch (type) {
    case RSR_DTYPE_F32: return _mm256_maskz_loadu_ps(mask, (const float *)row + c);
    case RSR_DTYPE_F16: return _mm256_cvtph_ps(_mm_maskz_loadu_epi16(mask, (const uint16_t *)row + c));
    default: {
        const __m256i wide = _mm256_cvtepu16_epi32(_mm_maskz_loadu_epi16(mask, (const uint16_t *)row + c));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }
    }
}

static inline float reduce1(__m256 sum) {
    const __m128 half = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    const __m128 quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));
    return _mm_cvtss_f32(_mm_add_ss(quarter, _mm_movehdup_ps(quarter)));
}

static inline float reduce4(const __m256 acc[4]) {
    return reduce1(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
}

// A float row streams from DRAM once per token (the output head is the biggest tensor a token reads).
// Measured on Zen 4: 256-bit steps with a prefetch into L2 8 KiB ahead keep more lines in flight than
// 512-bit steps or hardware prefetch alone, 21 GB/s against 16 on one core (the read test: 21-23).
static float float_row(const dense_matvec * m, const uint8_t * row) {
    const uint32_t size = m->type == RSR_DTYPE_F32 ? 4 : 2;
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
    uint32_t c = 0;
    for (; c + 32 <= m->cols; c += 32) {
        for (uint32_t b = 0; b < 32 * size; b += 64) _mm_prefetch((const char *)row + (uint64_t)c * size + b + 8192, _MM_HINT_T1);
        for (int i = 0; i < 4; ++i) {
            acc[i] = _mm256_fmadd_ps(load8(m->type, row, c + 8 * i, 0xff), _mm256_loadu_ps(m->x + c + 8 * i), acc[i]);
        }
    }
    for (; c < m->cols; c += 8) {
        const __mmask8 mask = m->cols - c >= 8 ? 0xff : (__mmask8)((1u << (m->cols - c)) - 1);
        acc[0] = _mm256_fmadd_ps(load8(m->type, row, c, mask), _mm256_maskz_loadu_ps(mask, m->x + c), acc[0]);
    }
    return reduce4(acc);
}

// One float row against four vectors (rows left over from float_rows4_x4): the row is loaded and widened
// once for all four, each vector's sum added in float_row's order.
static void float_row_x4(const dense_matvec * m, const uint8_t * row, const float * x, float * out) {
    const uint32_t cols = m->cols;
    __m256 acc[4][4];
    for (int v = 0; v < 4; ++v) for (int i = 0; i < 4; ++i) acc[v][i] = _mm256_setzero_ps();
    uint32_t c = 0;
    for (; c + 32 <= cols; c += 32) {
        for (int i = 0; i < 4; ++i) {
            const __m256 w = load8(m->type, row, c + 8 * i, 0xff);
            for (int v = 0; v < 4; ++v) acc[v][i] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + (uint64_t)v * cols + c + 8 * i), acc[v][i]);
        }
    }
    for (; c < cols; c += 8) {
        const __mmask8 mask = cols - c >= 8 ? 0xff : (__mmask8)((1u << (cols - c)) - 1);
        const __m256 w = load8(m->type, row, c, mask);
        for (int v = 0; v < 4; ++v) acc[v][0] = _mm256_fmadd_ps(w, _mm256_maskz_loadu_ps(mask, x + (uint64_t)v * cols + c), acc[v][0]);
    }
    for (int v = 0; v < 4; ++v) out[v] = reduce4(acc[v]);
}

// Four float rows against four vectors, one accumulator each: every 8 columns load 4 + 4 registers for
// 16 FMAs, where float_row_x4 loads 1 + 4 for 4 and so waits on L2. Its sums run in another order than
// float_row's (one accumulator instead of four), a few ulps apart.
static void float_rows4_x4(const dense_matvec * m, const uint8_t * rows, uint64_t row_bytes, const float * x, float out[4][4]) {
    const uint32_t cols = m->cols;
    __m256 acc[4][4];
    for (int r = 0; r < 4; ++r) for (int v = 0; v < 4; ++v) acc[r][v] = _mm256_setzero_ps();
    for (uint32_t c = 0; c < cols; c += 8) {
        const __mmask8 mask = cols - c >= 8 ? 0xff : (__mmask8)((1u << (cols - c)) - 1);
        __m256 xv[4];
        for (int v = 0; v < 4; ++v) xv[v] = _mm256_maskz_loadu_ps(mask, x + (uint64_t)v * cols + c);
        for (int r = 0; r < 4; ++r) {
            const __m256 w = load8(m->type, rows + r * row_bytes, c, mask);
            for (int v = 0; v < 4; ++v) acc[r][v] = _mm256_fmadd_ps(w, xv[v], acc[r][v]);
        }
    }
    for (int r = 0; r < 4; ++r) for (int v = 0; v < 4; ++v) out[r][v] = reduce1(acc[r][v]);
}

// Vectors outermost: four of them stay in L1 while the tile of rows (at most 128 KiB, dense.c) streams from
// L2 past them; rows outermost re-read every vector of the batch from L3 for each row, 4x slower at batch 130.
void dense_float_batch_avx512(const dense_matvec * m, const float * x, float * y, uint32_t n, uint32_t r0, uint32_t r1) {
    const uint32_t cols = m->cols;
    const uint64_t row_bytes = (uint64_t)cols * (m->type == RSR_DTYPE_F32 ? 4 : 2);
    uint32_t v = 0;
    for (; v + 4 <= n; v += 4) {
        uint32_t r = r0;
        for (; r + 4 <= r1; r += 4) {
            float out[4][4];
            float_rows4_x4(m, m->w + r * row_bytes, row_bytes, x + (uint64_t)v * cols, out);
            for (int i = 0; i < 4; ++i) for (int j = 0; j < 4; ++j) y[(uint64_t)(v + j) * m->rows + r + i] = out[i][j];
        }
        for (; r < r1; ++r) {
            float out[4];
            float_row_x4(m, m->w + r * row_bytes, x + (uint64_t)v * cols, out);
            for (int i = 0; i < 4; ++i) y[(uint64_t)(v + i) * m->rows + r] = out[i];
        }
    }
    for (; v < n; ++v) {
        dense_matvec one = *m;
        one.x = x + (uint64_t)v * cols;
        for (uint32_t r = r0; r < r1; ++r) y[(uint64_t)v * m->rows + r] = float_row(&one, m->w + r * row_bytes);
    }
}

// vpdpbusd takes one unsigned operand: (w + 128) . xq = w . xq + 128 sum(xq), and w + 128 is w ^ 0x80.
static int32_t q8_row(const dense_matvec * m, const int8_t * w) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    uint32_t c = 0;
    for (; c + 128 <= m->cols; c += 128) {
        acc0 = _mm512_dpbusd_epi32(acc0, _mm512_xor_si512(_mm512_loadu_si512(w + c), flip), _mm512_loadu_si512(m->xq + c));
        acc1 = _mm512_dpbusd_epi32(acc1, _mm512_xor_si512(_mm512_loadu_si512(w + c + 64), flip), _mm512_loadu_si512(m->xq + c + 64));
    }
    for (; c < m->cols; c += 64) {
        const uint32_t n = m->cols - c < 64 ? m->cols - c : 64;
        const __mmask64 mask = n == 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
        // masked-off lanes: 0x80 ^ 0x80 = 0 times x 0, so they add nothing
        acc0 = _mm512_dpbusd_epi32(acc0, _mm512_maskz_mov_epi8(mask, _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, w + c), flip)),
                                   _mm512_maskz_loadu_epi8(mask, m->xq + c));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1)) - 128 * m->xq_sum;
}

// Four 32-value blocks (72 bytes) per step: one byte permute gathers their 64 bytes of nibbles from the
// two loads that cover them, another their four f16 scales; 64-bit permutes put each block's low nibbles
// (values 0..15) before its high ones (16..31), in line with the activations, and two dot products cover
// 128 values. Each block's 8 dword sums, less its share of 8 * sum(x) (the codes are q + 8), are scaled by
// its d in float. Two blocks, then one, finish a row.
typedef struct q4_consts {
    uint8_t payload[64]; // byte j of block k: 18k + 2 + j
    uint8_t scales[64];  // bytes of the four f16 d: 18k, 18k + 1
    uint64_t first[8], second[8]; // qwords of (low, high): block 0 then 1, block 2 then 3
    uint32_t expand[2][16];       // lane -> block: 0 x 8, 1 x 8 / 2 x 8, 3 x 8
} q4_consts;

static const q4_consts q4k = {
    .payload = { 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
                 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,
                 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71 },
    .scales = { 0, 1, 18, 19, 36, 37, 54, 55 },
    .first = { 0, 1, 8, 9, 2, 3, 10, 11 },
    .second = { 4, 5, 12, 13, 6, 7, 14, 15 },
    .expand = { { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, { 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3 } },
};

static float q4_row(const dense_matvec * m, const uint8_t * row) {
    const uint32_t blocks = m->cols / Q4_BLOCK;
    const __m512i low4 = _mm512_set1_epi8(15);
    const __m512i payload = _mm512_loadu_si512(q4k.payload), scale_bytes = _mm512_loadu_si512(q4k.scales);
    const __m512i first = _mm512_loadu_si512(q4k.first), second = _mm512_loadu_si512(q4k.second);
    const __m512i expand0 = _mm512_loadu_si512(q4k.expand[0]), expand1 = _mm512_loadu_si512(q4k.expand[1]);
    __m512 acc[2] = { _mm512_setzero_ps(), _mm512_setzero_ps() };
    uint32_t b = 0;
    for (; b + 4 <= blocks; b += 4) {
        const uint8_t * at = row + (uint64_t)b * Q4_BLOCK_BYTES;
        _mm_prefetch((const char *)at + 8192, _MM_HINT_T1);
        _mm_prefetch((const char *)at + 8192 + 64, _MM_HINT_T1);
        const __m512i lo_bytes = _mm512_loadu_si512(at), hi_bytes = _mm512_maskz_loadu_epi8(0xff, at + 64);
        const __m512i packed = _mm512_permutex2var_epi8(lo_bytes, payload, hi_bytes);
        const __m512i low = _mm512_and_si512(packed, low4), high = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low4);
        const __m512i q01 = _mm512_permutex2var_epi64(low, first, high), q23 = _mm512_permutex2var_epi64(low, second, high);
        const int8_t * x = m->xq + (uint64_t)b * Q4_BLOCK;
        const __m512i dot01 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q01, _mm512_loadu_si512(x));
        const __m512i dot23 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q23, _mm512_loadu_si512(x + 64));
        const __m128 d4 = _mm_cvtph_ps(_mm512_castsi512_si128(_mm512_permutexvar_epi8(scale_bytes, lo_bytes)));
        const __m128 share4 = _mm_mul_ps(_mm_loadu_ps(m->block_sums + b), _mm_set1_ps(0.125f));
        const __m512 d = _mm512_castps128_ps512(d4), share = _mm512_castps128_ps512(share4);
        acc[0] = _mm512_fmadd_ps(_mm512_permutexvar_ps(expand0, d),
                                 _mm512_sub_ps(_mm512_cvtepi32_ps(dot01), _mm512_permutexvar_ps(expand0, share)), acc[0]);
        acc[1] = _mm512_fmadd_ps(_mm512_permutexvar_ps(expand1, d),
                                 _mm512_sub_ps(_mm512_cvtepi32_ps(dot23), _mm512_permutexvar_ps(expand1, share)), acc[1]);
    }
    float tail = 0;
    for (; b < blocks; ++b) {
        const uint8_t * block = row + (uint64_t)b * Q4_BLOCK_BYTES;
        const int8_t * x = m->xq + (uint64_t)b * Q4_BLOCK;
        uint16_t dh;
        memcpy(&dh, block, 2);
        int32_t dot = 0;
        for (uint32_t j = 0; j < 16; ++j) dot += (block[2 + j] & 15) * x[j] + (block[2 + j] >> 4) * x[j + 16];
        tail += rsr_f16_to_f32(dh) * ((float)dot - m->block_sums[b]);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc[0], acc[1])) + tail;
}

// One 256-value block (210 bytes) per step, as four registers in which lane l holds four values of the
// block's 16-value part l: register k has values 16 l + 4 k .. 16 l + 4 k + 3, gathered by dword permutes
// from the nibbles (the low half of a byte for parts 0..7, the high half for 8..15) and bit pairs (shifted
// by 2 (l / 4)). The input is stored in the same order (dense_q6_order). Four dot products of the codes
// with x, started from -32 times the part's input sum (the codes are q + 32), then sum a whole part in each
// lane; times the part's int8 scale they are exact int32, and each block's lanes are scaled by its d in float.
typedef struct q6_consts {
    // Lane l of register k takes bytes 16 l + 4 k .. + 3 of the nibbles (mod 128) and of the bit pairs (mod
    // 64), whole dwords, so the gathers are dword permutes (one uop; a two-source byte permute costs Intel
    // cores three). One index serves both: a one-source dword permute reads its low four bits only.
    uint32_t index[4][16]; // dword (16 l + 4 k) % 128 / 4; its low four bits (16 l + 4 k) % 64 / 4
    // GF(2) matrices per qword (parts 2 i and 2 i + 1): a byte's nibble (the high one for parts 8..15) to
    // bits 0..3, and its bit pair 2 (l / 4) to bits 4, 5; everything else 0. One gf2p8affineqb each does the
    // shift and the mask, at half the cost of variable shifts on Zen 4.
    uint64_t nibble_bits[8], pair_bits[8];
} q6_consts;

static q6_consts q6k;
static pthread_once_t q6k_once = PTHREAD_ONCE_INIT;

static void init_q6k(void) {
    for (uint32_t k = 0; k < 4; ++k) {
        for (uint32_t l = 0; l < 16; ++l) {
            const uint32_t value = 16 * l + 4 * k;
            q6k.index[k][l] = value % 128 / 4;
        }
    }
    // gf2p8affineqb: bit i of a result byte is the parity of (matrix byte 7 - i) & input byte
    for (uint32_t i = 0; i < 8; ++i) {
        const uint32_t part = 2 * i, nibble = part >= 8 ? 4 : 0, pair = 2 * (part / 4);
        uint64_t nb = 0, pb = 0;
        for (uint32_t bit = 0; bit < 4; ++bit) nb |= (uint64_t)(1u << (nibble + bit)) << (8 * (7 - bit));
        for (uint32_t bit = 0; bit < 2; ++bit) pb |= (uint64_t)(1u << (pair + bit)) << (8 * (7 - (4 + bit)));
        q6k.nibble_bits[i] = nb;
        q6k.pair_bits[i] = pb;
    }
}

// A row against NB vectors: a block's codes and scales are unpacked once for all of them, and each
// vector's lanes take the same operations in the same order as alone (one vector is the case NB = 1), so
// a batch gives the same bits as its vectors one at a time. Per vector a block costs four loads of its own
// input, four dot products and one multiply by the scales.
static inline __attribute__((always_inline)) void q6_row_vectors(const dense_matvec * m, int NB, const uint8_t * row, float * out) {
    const uint32_t blocks = m[0].cols / Q6_BLOCK;
    const __m512i nibble_bits = _mm512_loadu_si512(q6k.nibble_bits), pair_bits = _mm512_loadu_si512(q6k.pair_bits);
    __m512i index[4];
    for (int k = 0; k < 4; ++k) index[k] = _mm512_loadu_si512(q6k.index[k]);
    __m512 acc[DENSE_BATCH_VECTORS];
    for (int v = 0; v < NB; ++v) acc[v] = _mm512_setzero_ps();
    for (uint32_t b = 0; b < blocks; ++b) {
        const uint8_t * at = row + (uint64_t)b * Q6_BLOCK_BYTES;
        for (int line = 0; line < 4; ++line) _mm_prefetch((const char *)at + 8192 + 64 * line, _MM_HINT_T1);
        const __m512i scale = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(at + 2)));
        const __m512i nibbles0 = _mm512_loadu_si512(at + Q6_NIBBLES), nibbles1 = _mm512_loadu_si512(at + Q6_NIBBLES + 64);
        const __m512i pairs = _mm512_loadu_si512(at + Q6_PAIRS);
        __m512i q[4];
        for (int k = 0; k < 4; ++k) {
            const __m512i nibble = _mm512_permutex2var_epi32(nibbles0, index[k], nibbles1);
            const __m512i low = _mm512_gf2p8affine_epi64_epi8(nibble, nibble_bits, 0);
            const __m512i high = _mm512_gf2p8affine_epi64_epi8(_mm512_permutexvar_epi32(index[k], pairs), pair_bits, 0);
            q[k] = _mm512_or_si512(low, high);
        }
        uint16_t dh;
        memcpy(&dh, at, 2);
        const float d = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(dh))); // F16C: no branches on the exponent
        // d times each part's scale, once for all vectors: an f16 value times an int8 is exact in f32, and
        // so is a part's centred sum (|sum| <= 16 * 32 * 127), so the fused multiply-add rounds d * scale *
        // sum exactly as it rounded d times the int32 product (|product| < 2^24) that an int32 multiply,
        // two uops on Intel cores, made for every vector
        const __m512 d_scale = _mm512_mul_ps(_mm512_set1_ps(d), _mm512_cvtepi32_ps(scale));
        // every vector's inputs of this block at fixed offsets from one pointer (dense_matvec): no register
        // per vector
        const int8_t * xs = m[0].xq_q6 + (uint64_t)b * NB * Q6_BLOCK;
        const int32_t * starts = m[0].part_starts + (uint64_t)b * NB * (Q6_BLOCK / Q6_SUB);
        for (int v = 0; v < NB; ++v) {
            const int8_t * x = xs + v * Q6_BLOCK;
            // starting from -32 times the parts' input sums leaves each lane its centred sum, exact in int32
            __m512i centred = _mm512_loadu_si512(starts + v * (Q6_BLOCK / Q6_SUB));
            for (int k = 0; k < 4; ++k) centred = _mm512_dpbusd_epi32(centred, q[k], _mm512_loadu_si512(x + 64 * k));
            acc[v] = _mm512_fmadd_ps(d_scale, _mm512_cvtepi32_ps(centred), acc[v]);
        }
    }
    for (int v = 0; v < NB; ++v) out[v] = _mm512_reduce_add_ps(acc[v]);
}

static float q6_row(const dense_matvec * m, const uint8_t * row) {
    float out;
    q6_row_vectors(m, 1, row, &out);
    return out;
}

void dense_q6_rows_batch_avx512(const dense_matvec * m, uint32_t n, uint32_t r0, uint32_t r1) {
    pthread_once(&q6k_once, init_q6k);
    DENSE_Q6_ROWS(q6_row_vectors);
}

void dense_rows_avx512(const dense_matvec * m, uint32_t r0, uint32_t r1) {
    const uint32_t cols = m->cols;
    if (m->type == RSR_DTYPE_Q6_256) pthread_once(&q6k_once, init_q6k);
    for (uint32_t r = r0; r < r1; ++r) {
        switch (m->type) {
        case RSR_DTYPE_F32: m->y[r] = float_row(m, m->w + (uint64_t)r * cols * 4); break;
        case RSR_DTYPE_F16: case RSR_DTYPE_BF16: m->y[r] = float_row(m, m->w + (uint64_t)r * cols * 2); break;
        case RSR_DTYPE_Q8_ROW: m->y[r] = (float)q8_row(m, (const int8_t *)m->w + (uint64_t)r * cols) * dense_q8_scale(m, r) / m->xs; break;
        case RSR_DTYPE_Q4_32: m->y[r] = q4_row(m, m->w + (uint64_t)r * (cols / Q4_BLOCK) * Q4_BLOCK_BYTES) / m->xs; break;
        case RSR_DTYPE_Q6_256: m->y[r] = q6_row(m, m->w + (uint64_t)r * (cols / Q6_BLOCK) * Q6_BLOCK_BYTES) / m->xs; break;
        default: break;
        }
    }
}

#pragma clang attribute pop

#endif
