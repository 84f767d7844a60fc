// rsrt-avx512.c: transposed RSR products with AVX-512 VBMI.
//
// Tables: a group's 128 int16 pattern sums are stored as two byte planes (low and high bytes), two
// registers each. Lookup: one vpermi2b per plane indexes 128 bytes with the low seven bits of 64 codes;
// unpacking the two planes within 128-bit lanes makes int16 sums (rows in lane order), which accumulate in
// int16 and are put back in row order when they widen to int32, before they can overflow. Ternary codes'
// sign bit negates: it inverts both bytes (~v = -v - 1, a GF(2) affine op makes each byte's mask without a
// mask register; masked ops cost a third of the loop on Zen 4), and the count of inversions per row is
// added back when the sums widen.
#if defined(__x86_64__)

#include "../../rsrt-layout.h"
#include "simd-x86.h"

#include <pthread.h>
#include <stdatomic.h>

#pragma clang attribute push(__attribute__((target(RSR_TARGET_AVX512))), apply_to = function)

// ---- Table construction --------------------------------------------------------------------------------
// T[c] = A[c % nA] + B[c / nA]: A sums the first columns of the group over their nA digit patterns, B the
// rest; one vpermw each spreads them over the 128 codes.

typedef struct table_consts {
    int16_t coef_a[4][32]; // digit - zero digit of code c (c < nA) for the A columns
    int16_t coef_b[4][32]; // same for the B columns (c < nB)
    int16_t index_a[4][32], index_b[4][32]; // c % nA and c / nA for c = 32 z + lane
    uint8_t even[64], odd[64];       // byte indices that split int16 pairs into low and high planes
    int16_t rows[2][32];             // word indices that put unpacked sums back in row order (0..31, 32..63)
    uint32_t cols_a, cols_b;
} table_consts;

static table_consts consts[RSR_WEIGHTS_COUNT];
static pthread_once_t consts_once = PTHREAD_ONCE_INIT;

static void init_consts_for(rsr_weights w, table_consts * t) {
    const uint32_t base = w == RSR_WEIGHTS_TERNARY ? 3 : 2, zd = w == RSR_WEIGHTS_TERNARY ? 1 : 0;
    memset(t, 0, sizeof *t);
    t->cols_a = w == RSR_WEIGHTS_TERNARY ? 3 : 4;
    t->cols_b = w == RSR_WEIGHTS_TERNARY ? 2 : 3;
    const uint32_t n_a = rsr_ipow(base, t->cols_a), n_b = rsr_ipow(base, t->cols_b);
    for (uint32_t c = 0; c < 32; ++c) {
        for (uint32_t i = 0; i < t->cols_a; ++i) {
            t->coef_a[i][c] = c < n_a ? (int16_t)((int)(c / rsr_ipow(base, i) % base) - (int)zd) : 0;
        }
        for (uint32_t i = 0; i < t->cols_b; ++i) {
            t->coef_b[i][c] = c < n_b ? (int16_t)((int)(c / rsr_ipow(base, i) % base) - (int)zd) : 0;
        }
    }
    for (uint32_t z = 0; z < 4; ++z) {
        for (uint32_t l = 0; l < 32; ++l) {
            const uint32_t c = 32 * z + l;
            t->index_a[z][l] = (int16_t)(c % n_a);
            t->index_b[z][l] = (int16_t)(c / n_a < n_b ? c / n_a : 0);
        }
    }
    for (uint32_t i = 0; i < 64; ++i) {
        t->even[i] = (uint8_t)(2 * i);
        t->odd[i] = (uint8_t)(2 * i + 1);
    }
}

// Unpacking the planes per 128-bit lane gives rows 16 L + 0..7 in words 8 L + 0..7 of the first sum
// and rows 16 L + 8..15 in the same words of the second.
static void init_row_order(table_consts * t) {
    for (uint32_t r = 0; r < 64; ++r) {
        const uint32_t lane = r / 16, j = r % 16;
        t->rows[r / 32][r % 32] = (int16_t)(j < 8 ? 8 * lane + j : 32 + 8 * lane + j - 8);
    }
}

static void init_consts(void) {
    init_consts_for(RSR_WEIGHTS_BINARY, &consts[RSR_WEIGHTS_BINARY]);
    init_consts_for(RSR_WEIGHTS_TERNARY, &consts[RSR_WEIGHTS_TERNARY]);
    init_row_order(&consts[RSR_WEIGHTS_BINARY]);
    init_row_order(&consts[RSR_WEIGHTS_TERNARY]);
}

// Tables of groups [g0, g1) into tables + (g - g0) * 256. NA and NB columns (3 + 2 ternary, 4 + 3 binary) are
// compile-time constants so the constants stay in registers across groups. Building reads no weights, so
// it asks for the first codes the lookups will read, ahead_bytes from ahead, two lines a group: memory
// keeps streaming while the tables are built.
static inline __attribute__((always_inline)) void build_tables(
        const table_consts * k, int NA, int NB, const int8_t * x, uint32_t cols, uint32_t G,
        uint32_t g0, uint32_t g1, uint8_t * tables, const uint8_t * ahead, uint64_t ahead_bytes) {
    __m512i coef_a[4], coef_b[4], index_a[4], index_b[4];
    for (int i = 0; i < NA; ++i) coef_a[i] = _mm512_loadu_si512(k->coef_a[i]);
    for (int i = 0; i < NB; ++i) coef_b[i] = _mm512_loadu_si512(k->coef_b[i]);
    for (int z = 0; z < 4; ++z) {
        index_a[z] = _mm512_loadu_si512(k->index_a[z]);
        index_b[z] = _mm512_loadu_si512(k->index_b[z]);
    }
    const __m512i even = _mm512_loadu_si512(k->even), odd = _mm512_loadu_si512(k->odd);
    _Alignas(16) int16_t x16[8];
    for (uint32_t g = g0; g < g1; ++g) {
        const uint64_t asked = (uint64_t)(g - g0) * 128;
        if (asked < ahead_bytes) {
            _mm_prefetch((const char *)ahead + asked, _MM_HINT_T1);
            _mm_prefetch((const char *)ahead + asked + 64, _MM_HINT_T1);
        }
        const uint32_t col = g * G, n = cols - col < G ? cols - col : G; // inputs past the end read as zero
        _mm_store_si128((__m128i *)x16, _mm_cvtepi8_epi16(_mm_maskz_loadu_epi8((__mmask16)((1u << n) - 1), x + col)));
        __m512i a = _mm512_mullo_epi16(coef_a[0], _mm512_set1_epi16(x16[0]));
        for (int i = 1; i < NA; ++i) a = _mm512_add_epi16(a, _mm512_mullo_epi16(coef_a[i], _mm512_set1_epi16(x16[i])));
        __m512i b = _mm512_mullo_epi16(coef_b[0], _mm512_set1_epi16(x16[NA]));
        for (int i = 1; i < NB; ++i) b = _mm512_add_epi16(b, _mm512_mullo_epi16(coef_b[i], _mm512_set1_epi16(x16[NA + i])));
        uint8_t * planes = tables + (uint64_t)(g - g0) * 256;
        for (int m = 0; m < 2; ++m) {
            const __m512i t0 = _mm512_add_epi16(_mm512_permutexvar_epi16(index_a[2 * m], a), _mm512_permutexvar_epi16(index_b[2 * m], b));
            const __m512i t1 = _mm512_add_epi16(_mm512_permutexvar_epi16(index_a[2 * m + 1], a), _mm512_permutexvar_epi16(index_b[2 * m + 1], b));
            _mm512_store_si512(planes + 64 * m, _mm512_permutex2var_epi8(t0, even, t1));
            _mm512_store_si512(planes + 128 + 64 * m, _mm512_permutex2var_epi8(t0, odd, t1));
        }
    }
}

// ---- Lookup ----------------------------------------------------------------------------------------------

// Adds the int16 sums of one tile (as the planes unpack: see init_row_order) into its int32 sums, in row
// order, once a run. Inline, the int32 sums still stay in memory (the lookup loop keeps its registers), and
// a decoded token took 1-2% less on one thread than with the call, switched token by token.
static inline __attribute__((always_inline)) void widen_tile(const table_consts * k, __m512i unpacked_lo, __m512i unpacked_hi,
                                                 __m512i flips, int32_t * acc32) {
    const __m512i rows0 = _mm512_permutex2var_epi16(unpacked_lo, _mm512_loadu_si512(k->rows[0]), unpacked_hi);
    const __m512i rows32 = _mm512_permutex2var_epi16(unpacked_lo, _mm512_loadu_si512(k->rows[1]), unpacked_hi);
    const __m512i parts[4] = {
        _mm512_cvtepi16_epi32(_mm512_castsi512_si256(rows0)), _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(rows0, 1)),
        _mm512_cvtepi16_epi32(_mm512_castsi512_si256(rows32)), _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(rows32, 1)),
    };
    const __m512i flipped[4] = {
        _mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(flips, 0)), _mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(flips, 1)),
        _mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(flips, 2)), _mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(flips, 3)),
    };
    for (int i = 0; i < 4; ++i) {
        const __m512i sum = _mm512_add_epi32(_mm512_load_si512(acc32 + 16 * i), parts[i]);
        _mm512_store_si512(acc32 + 16 * i, _mm512_sub_epi32(sum, flipped[i])); // flips count -1 each: ~v + 1 = -v
    }
}

// How far ahead in a quad's codes the lookups ask for lines, into L2 and into L1 (bytes; a group of a
// full quad is 256). Measured on Zen 4 by decoding with and without the second, token by token.
#define CODES_AHEAD_L2 8192
#define CODES_AHEAD_L1 1024

// Sums groups [g0, g1) (their tables from `tables` on) of one quad of NT tiles into y (the quad's rows),
// in runs of groups short enough that int16 sums cannot overflow. SIGNED: ternary codes carry a sign bit;
// binary codes do not.
static inline __attribute__((always_inline)) void lookup_quad(
        const rsr_layout_header * h, const table_consts * k, const uint8_t * codes, int NT, bool SIGNED,
        const uint8_t * tables, uint32_t g0, uint32_t g1, uint32_t row0, int32_t * acc32, int32_t * y, bool accumulate) {
    // |sum| <= k * 128 + 1 a group (the 1: inverted negatives); flips count at most `run` < 128 in int8
    const uint32_t run = 32767 / (h->k * 128 + 1);
    const __m512i zero = _mm512_setzero_si512();
    const __m512i sign_to_byte = _mm512_set1_epi64((long long)0x8080808080808080ull); // GF(2) matrix: every bit = bit 7
    memset(acc32, 0, (size_t)NT * RSRT_TILE * sizeof *acc32);
    for (uint32_t start = g0; start < g1; start += run) {
        const uint32_t end = rsr_min_u32(start + run, g1);
        __m512i acc[RSRT_QUAD][2], flips[RSRT_QUAD]; // flips: -1 per negative code, per row, in int8
        for (int t = 0; t < NT; ++t) acc[t][0] = acc[t][1] = flips[t] = zero;
        for (uint32_t g = start; g < end; ++g) {
            const uint8_t * planes = tables + (uint64_t)(g - g0) * 256;
            const __m512i l0 = _mm512_load_si512(planes), l1 = _mm512_load_si512(planes + 64);
            const __m512i h0 = _mm512_load_si512(planes + 128), h1 = _mm512_load_si512(planes + 192);
            const uint8_t * group_codes = codes + (uint64_t)g * NT * RSRT_TILE;
            // The hardware prefetcher alone falls behind on this stream (the table loads share the L1
            // miss queue): asking for the codes ahead into L2 keeps DRAM busy, and asking again a few
            // groups ahead into L1 spares the lookups their wait on L2.
            for (int t = 0; t < NT; ++t) _mm_prefetch((const char *)(group_codes + t * RSRT_TILE + CODES_AHEAD_L2), _MM_HINT_T1);
            for (int t = 0; t < NT; ++t) _mm_prefetch((const char *)(group_codes + t * RSRT_TILE + CODES_AHEAD_L1), _MM_HINT_T0);
            for (int t = 0; t < NT; ++t) {
                // Each lookup overwrites its codes (vpermi2b) rather than a copy of a table, so the second
                // loads them again from L1: the barrier keeps the compiler from reusing the first load
                // through a register copy (1-2% faster decode on one thread than the copies).
                const uint8_t * tile = group_codes + t * RSRT_TILE, * again = tile;
                __asm__("" : "+r"(again));
                const __m512i code = _mm512_loadu_si512(tile);
                const __m512i flip = SIGNED ? _mm512_gf2p8affine_epi64_epi8(code, sign_to_byte, 0) : zero;
                __m512i hi = _mm512_permutex2var_epi8(h0, code, h1);
                __m512i lo = _mm512_permutex2var_epi8(l0, _mm512_loadu_si512(again), l1);
                if (SIGNED) { // negative codes: both bytes inverted, so the int16 is ~v = -v - 1
                    lo = _mm512_xor_si512(lo, flip);
                    hi = _mm512_xor_si512(hi, flip);
                    flips[t] = _mm512_add_epi8(flips[t], flip);
                }
                // int16 sums by unpacking the planes within 128-bit lanes (one-source, one uop), rows out of
                // order until widen_tile; two-source byte permutes here cost Intel cores three uops each
                acc[t][0] = _mm512_add_epi16(acc[t][0], _mm512_unpacklo_epi8(lo, hi));
                acc[t][1] = _mm512_add_epi16(acc[t][1], _mm512_unpackhi_epi8(lo, hi));
            }
        }
        for (int t = 0; t < NT; ++t) widen_tile(k, acc[t][0], acc[t][1], flips[t], acc32 + t * RSRT_TILE);
    }
    for (int t = 0; t < NT; ++t) {
        const uint32_t first = row0 + (uint32_t)t * RSRT_TILE;
        if (first >= h->rows) continue;
        const uint32_t n = rsr_min_u32(RSRT_TILE, h->rows - first);
        if (accumulate) for (uint32_t r = 0; r < n; ++r) y[first + r] += acc32[t * RSRT_TILE + r];
        else memcpy(y + first, acc32 + t * RSRT_TILE, n * sizeof *y);
    }
}

#define CHUNK_GROUPS 2048u

// ---- Product ---------------------------------------------------------------------------------------------
// Work splits into row parts x column slices. A task builds the tables of its column slice itself (sharing
// tables across cores costs more than building them) and sums its slice over its rows' quads; column
// slices write partial sums that are added at the end. Row parts keep each core on one sequential stream
// of codes; column slices avoid building a table twice. Several products of one input (a layer's q, k and
// v) run as one: their quads are one list split into row parts, over one set of tables.
//
// Row parts of one chunk of groups also share out their ends: a task takes its part's quads from the
// front, and once they are gone it takes the other parts' quads from their backs. Every task's tables then
// cover every group, so a quad can be summed by any of them, and a core that another process slowed, or
// that joined late, no longer holds the job up by its whole part (at one vector the two parts of a product
// finished 16 us apart on average on a shared host, a tenth of the job).

typedef struct rsrt_ctx {
    const rsr_product * const * p; // products of one input: same columns, group size and weights
    uint32_t n_products, quads;    // quads: of all products together
    uint32_t v;                    // the current vector
    int32_t * partial;             // [slice][rows] when there are several column slices (one product)
    uint8_t * tables;              // [thread][rsrt_table_stride]
    uint32_t row_parts, col_slices;
    uint64_t table_stride;
    _Atomic uint64_t * ranges;     // per row part, when parts share out their ends: next quad | end quad << 32
} rsrt_ctx;

#define MAX_SHARED_PARTS 64u
#define NO_QUAD UINT32_MAX

// The next quad of a part's range, from its front (its own task) or its back (another part's task).
static uint32_t claim_quad(_Atomic uint64_t * range, bool front) {
    uint64_t r = atomic_load_explicit(range, memory_order_relaxed);
    for (;;) {
        const uint32_t next = (uint32_t)r, end = (uint32_t)(r >> 32);
        if (next >= end) return NO_QUAD;
        const uint64_t taken = front ? r + 1 : (uint64_t)next | (uint64_t)(end - 1) << 32;
        if (atomic_compare_exchange_weak_explicit(range, &r, taken, memory_order_relaxed, memory_order_relaxed)) {
            return front ? next : end - 1;
        }
    }
}

// Quad i of the products' joint list: its product and its index there.
static inline const rsr_product * quad_of(const rsrt_ctx * c, uint32_t i, uint32_t * quad) {
    uint32_t j = 0;
    while (i >= rsrt_quads(c->p[j]->h)) i -= rsrt_quads(c->p[j++]->h);
    *quad = i;
    return c->p[j];
}

// The first quad of row part `part`: parts split the joint list by tiles, so that they read alike even
// where a product ends in a short quad.
static uint32_t part_start(const rsrt_ctx * c, uint32_t part) {
    uint64_t tiles = 0;
    for (uint32_t j = 0; j < c->n_products; ++j) tiles += rsr_div_up(c->p[j]->h->rows, RSRT_TILE);
    const uint64_t target = tiles * part / c->row_parts;
    uint64_t before = 0;
    uint32_t i = 0;
    for (uint32_t j = 0; j < c->n_products; ++j) {
        const rsr_layout_header * h = c->p[j]->h;
        for (uint32_t q = 0; q < rsrt_quads(h); ++q, ++i) {
            if (before >= target) return i;
            before += rsrt_quad_tiles(h, q);
        }
    }
    return c->quads;
}

// Groups [c0, c1) of quad i of the joint list (their tables from `chunk` on) into its rows of y, or of
// `sliced` (a column slice's partial sums), added to what earlier chunks left there when `more`.
static void sum_quad(const rsrt_ctx * c, const table_consts * k, bool ternary, uint32_t i, const uint8_t * chunk, uint32_t c0,
                     uint32_t c1, bool more, int32_t * sliced, int32_t * acc32) {
    uint32_t quad;
    const rsr_product * p = quad_of(c, i, &quad);
    const rsr_layout_header * ph = p->h;
    int32_t * y = sliced ? sliced : (int32_t *)p->y + (uint64_t)c->v * ph->rows;
    const uint8_t * codes = rsrt_quad_codes(ph, p->base, quad);
    const uint32_t row0 = quad * RSRT_QUAD * RSRT_TILE;
    const uint32_t nt = rsrt_quad_tiles(ph, quad);
#define LOOKUP(NT) ternary ? lookup_quad(ph, k, codes, NT, true, chunk, c0, c1, row0, acc32, y, more) \
                   : lookup_quad(ph, k, codes, NT, false, chunk, c0, c1, row0, acc32, y, more)
    if (nt == 4) LOOKUP(4);
    else if (nt == 3) LOOKUP(3);
    else if (nt == 2) LOOKUP(2);
    else LOOKUP(1);
#undef LOOKUP
}

static void part_task(void * raw, uint32_t task, int thread) {
    const rsrt_ctx * c = raw;
    const rsr_layout_header * h = c->p[0]->h;
    const uint32_t part = task / c->col_slices, slice = task % c->col_slices;
    const uint32_t per_slice = rsr_div_up(h->n_groups, c->col_slices);
    const uint32_t g0 = slice * per_slice, g1 = rsr_min_u32(g0 + per_slice, h->n_groups);
    uint32_t q0 = part_start(c, part);
    const uint32_t q1 = part_start(c, part + 1);
    // several column slices only for one product
    int32_t * sliced = c->col_slices > 1 ? c->partial + (uint64_t)slice * h->rows : NULL;
    if (g0 >= g1) {
        for (uint32_t q = q0; q < q1; ++q) {
            const uint32_t r0 = q * RSRT_QUAD * RSRT_TILE;
            memset(sliced + r0, 0, rsr_min_u32(RSRT_QUAD * RSRT_TILE, h->rows - r0) * sizeof *sliced);
        }
        return;
    }
    if (c->ranges) { // other tasks may have taken this part's quads already: no tables for nothing
        const uint64_t r = atomic_load_explicit(&c->ranges[part], memory_order_relaxed);
        if ((uint32_t)r >= (uint32_t)(r >> 32)) return;
        q0 = (uint32_t)r;
    }
    const table_consts * k = &consts[h->weights];
    const bool ternary = h->weights == RSR_WEIGHTS_TERNARY;
    uint8_t * tables = c->tables + (uint64_t)thread * c->table_stride; // groups [g0, g1)
    const int8_t * x = (const int8_t *)c->p[0]->x + (uint64_t)c->v * h->cols;
    _Alignas(64) int32_t acc32[RSRT_QUAD * RSRT_TILE];
    // the first quad's codes from g0 on, up to the end of its first chunk of groups
    const uint8_t * first = c->p[0]->base;
    uint64_t first_bytes = 0;
    if (q0 < q1) {
        uint32_t quad;
        const rsr_product * p = quad_of(c, q0, &quad);
        const uint64_t group_bytes = (uint64_t)rsrt_quad_tiles(p->h, quad) * RSRT_TILE;
        first = rsrt_quad_codes(p->h, p->base, quad) + g0 * group_bytes;
        first_bytes = (rsr_min_u32(g1, g0 + CHUNK_GROUPS) - g0) * group_bytes;
    }
    if (ternary) build_tables(k, 3, 2, x, h->cols, h->k, g0, g1, tables, first, first_bytes);
    else build_tables(k, 4, 3, x, h->cols, h->k, g0, g1, tables, first, first_bytes);

    if (c->ranges) { // one chunk of every group: this part's quads from the front, then the others' from their backs
        for (uint32_t i; (i = claim_quad(&c->ranges[part], true)) != NO_QUAD;) {
            sum_quad(c, k, ternary, i, tables, g0, g1, false, NULL, acc32);
        }
        for (uint32_t o = 1; o < c->row_parts; ++o) {
            _Atomic uint64_t * other = &c->ranges[(part + o) % c->row_parts];
            for (uint32_t i; (i = claim_quad(other, false)) != NO_QUAD;) sum_quad(c, k, ternary, i, tables, g0, g1, false, NULL, acc32);
        }
        return;
    }
    // Groups in chunks of 512 KiB of tables, which stay in L2 while every quad of the part is summed
    // over them (wide matrices: 14336 columns take 734 KiB of tables). Each chunk breaks a quad's stream
    // of codes in two, so chunks are no smaller than the L2 needs: 2B4T's down (1383 groups) is one.
    for (uint32_t c0 = g0; c0 < g1; c0 += CHUNK_GROUPS) {
        const uint32_t c1 = rsr_min_u32(c0 + CHUNK_GROUPS, g1);
        for (uint32_t i = q0; i < q1; ++i) {
            sum_quad(c, k, ternary, i, tables + (uint64_t)(c0 - g0) * 256, c0, c1, c0 > g0, sliced, acc32);
        }
    }
}

// Products of one input with n layouts of the same columns, group size and weights (p[0]'s work holds
// the tables for its threads; see rsrt_work_size).
rsr_status rsr_products_i8_rsrt_avx512(const rsr_product * const * p, uint32_t n_products) {
    pthread_once(&consts_once, init_consts);
    const rsr_layout_header * h = p[0]->h;
    const uint32_t n = (uint32_t)p[0]->n_threads;
    uint32_t quads = 0;
    for (uint32_t j = 0; j < n_products; ++j) quads += rsrt_quads(p[j]->h);
    // Rows when every thread gets a few quads, columns otherwise (one product only).
    const uint32_t row_parts = quads >= 4 * n || n_products > 1 ? rsr_min_u32(n, quads) : 1;
    const uint32_t col_slices = row_parts == 1 && n_products == 1 ? rsr_min_u32(n, rsr_div_up(h->n_groups, 256)) : 1;
    rsrt_ctx c = {
        .p = p, .n_products = n_products, .quads = quads,
        .tables = p[0]->work,
        .table_stride = rsrt_table_stride(h, p[0]->n_threads),
        .partial = (int32_t *)(p[0]->work + rsrt_tables_bytes(h, p[0]->n_threads)),
        .row_parts = row_parts,
        .col_slices = col_slices,
    };
    _Atomic uint64_t ranges[MAX_SHARED_PARTS];
    if (row_parts > 1 && row_parts <= MAX_SHARED_PARTS && h->n_groups <= CHUNK_GROUPS) c.ranges = ranges;
    for (c.v = 0; c.v < p[0]->batch; ++c.v) {
        for (uint32_t part = 0; c.ranges && part < row_parts; ++part) {
            atomic_init(&ranges[part], (uint64_t)part_start(&c, part) | (uint64_t)part_start(&c, part + 1) << 32);
        }
        rsr_pool_run(p[0]->pool, part_task, &c, row_parts * col_slices);
        if (col_slices > 1) {
            // slice by slice, so that the adds run along rows in vectors
            int32_t * restrict y = (int32_t *)p[0]->y + (uint64_t)c.v * h->rows;
            const uint32_t rows = h->rows;
            memcpy(y, c.partial, (uint64_t)rows * sizeof *y);
            for (uint32_t s = 1; s < col_slices; ++s) {
                const int32_t * restrict part = c.partial + (uint64_t)s * rows;
                for (uint32_t r = 0; r < rows; ++r) y[r] += part[r];
            }
        }
    }
    return RSR_OK;
}

rsr_status rsr_product_i8_rsrt_avx512(const rsr_product * p) { return rsr_products_i8_rsrt_avx512(&p, 1); }

#pragma clang attribute pop

#endif
