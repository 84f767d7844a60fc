// planes-layout.h: integer weights as bipolar bit-planes, shared by the layout code and its kernels.
//
// An n-bit code u = sum_i 2^i b_i is, in bipolar form, v = 2u - (2^n - 1) = sum_i 2^i (2 b_i - 1): n planes
// of +-1. With w = d (u - z), a row's sum over one scale group is
//     sum_c w_c x_c = d/2 * (sum_i 2^i P_i + c_z * sum_c x_c),   P_i = sum_c (2 b_ic - 1) x_c,  c_z = 2^n - 1 - 2z,
// and every P_i over 8 columns is one entry of the group's table of the 256 +-1 patterns: all planes of all
// rows share the table. T[~p] = -T[p], so a row's 8 bits p are stored as one byte that indexes 128 entries
// with its low seven bits and says in bit 7 whether to negate: p when p < 128, else p ^ 0x7f.
//
// Rows are stored in tiles of 64 (padded with zero rows) and tiles in quads of four (the last may hold
// fewer), each quad one sequential stream, so that one table load serves four tiles. Per scale group g of a
// quad: the codes [table group][plane][tile][64 rows], then the scales [tile][64] (scale_type), then the
// zero points [tile][64] (bytes, only with RSR_PLANES_ZERO_POINTS). A permuted layout ends with the input
// column of each stored column (u32), so that groups may gather columns (GPTQ's act order).
//
// Packed (RSR_PLANES_PACKED, 2, 4 or 8 bits): the same quads, tiles, scales and zero points, but a group's
// codes are blocks of 32 / bits columns, [block][tile][64 rows][4 bytes], each byte holding 8 / bits codes:
// field f (bits b*f ..) of byte j is column 4f + j of the block. Unpacking field f of 16 rows' dwords gives
// their codes of columns 4f .. 4f + 3, ready for vpdpbusd against those four inputs broadcast.
#ifndef PLANES_LAYOUT_H
#define PLANES_LAYOUT_H

#include "internal.h"

#include <stdlib.h>

#define PLANES_MAGIC 0x50525352u // "RSRP" little-endian
#define PLANES_VERSION 1u
#define PLANES_TILE 64u
#define PLANES_QUAD 4u
#define PLANES_GROUP_COLS 8u     // columns per table
#define PLANES_TABLE 128u        // table entries by stored byte
#define PLANES_SIGN 0x80u

typedef struct planes_header {
    uint32_t magic;
    uint16_t version;
    uint8_t  bits;
    uint8_t  scale_type;  // rsr_dtype: F32, F16 or BF16
    uint32_t rows;
    uint32_t cols;
    uint32_t group;       // stored columns per scale group (a multiple of 8); the last group may be shorter
    uint32_t flags;       // RSR_PLANES_*
    uint32_t n_tiles;
    uint32_t n_groups;    // scale groups per row
    uint64_t quad_bytes;  // one full quad's stream
    uint64_t off_perm;    // the permutation, or 0
    uint64_t bytes;       // total size
    uint8_t  reserved[8];
} planes_header;

_Static_assert(sizeof(planes_header) == 64, "planes header is one cache line");

static inline uint32_t planes_scale_size(const planes_header * h) { return h->scale_type == RSR_DTYPE_F32 ? 4 : 2; }
static inline bool planes_packed(const planes_header * h) { return h->flags & RSR_PLANES_PACKED; }
// Packed: columns of one 4-byte row of a block.
static inline uint32_t planes_block_cols(const planes_header * h) { return 32u / h->bits; }
static inline uint32_t planes_group_cols(const planes_header * h, uint32_t g) {
    return rsr_min_u32(h->group, h->cols - g * h->group);
}
// Table groups (8 columns each) of scale group g.
static inline uint32_t planes_group_tables(const planes_header * h, uint32_t g) {
    return rsr_div_up(planes_group_cols(h, g), PLANES_GROUP_COLS);
}
// Packed: blocks of scale group g.
static inline uint32_t planes_group_blocks(const planes_header * h, uint32_t g) {
    return rsr_div_up(planes_group_cols(h, g), planes_block_cols(h));
}
// Bytes of the codes of scale group g in one tile.
static inline uint64_t planes_tile_code_bytes(const planes_header * h, uint32_t g) {
    return planes_packed(h) ? (uint64_t)planes_group_blocks(h, g) * 4 * PLANES_TILE
                            : (uint64_t)planes_group_tables(h, g) * h->bits * PLANES_TILE;
}
static inline uint32_t planes_quads(const planes_header * h) { return rsr_div_up(h->n_tiles, PLANES_QUAD); }
static inline uint32_t planes_quad_tiles(const planes_header * h, uint32_t q) {
    return rsr_min_u32(PLANES_QUAD, h->n_tiles - q * PLANES_QUAD);
}
// Bytes of scale group g within a quad of nt tiles: codes, scales, zero points.
static inline uint64_t planes_group_bytes(const planes_header * h, uint32_t g, uint32_t nt) {
    return (planes_tile_code_bytes(h, g) + PLANES_TILE * planes_scale_size(h) + (h->flags & RSR_PLANES_ZERO_POINTS ? PLANES_TILE : 0)) * nt;
}
static inline const uint8_t * planes_quad(const planes_header * h, const uint8_t * base, uint32_t q) {
    return base + sizeof *h + (uint64_t)q * h->quad_bytes;
}
// Within a group of a quad of nt tiles: the codes of (table group t, plane i, tile k), the scales and the
// zero points of tile k.
static inline uint64_t planes_code_offset(const planes_header * h, uint32_t nt, uint32_t t, uint32_t i, uint32_t k) {
    return (((uint64_t)t * h->bits + i) * nt + k) * PLANES_TILE;
}
// Packed: the 64 rows' 4 bytes of block b of tile k.
static inline uint64_t planes_block_offset(uint32_t nt, uint32_t b, uint32_t k) { return ((uint64_t)b * nt + k) * 4 * PLANES_TILE; }
static inline uint64_t planes_scales_offset(const planes_header * h, uint32_t g, uint32_t nt, uint32_t k) {
    return planes_tile_code_bytes(h, g) * nt + (uint64_t)k * PLANES_TILE * planes_scale_size(h);
}
static inline uint64_t planes_zeros_offset(const planes_header * h, uint32_t g, uint32_t nt, uint32_t k) {
    return planes_scales_offset(h, g, nt, nt) + (uint64_t)k * PLANES_TILE;
}
static inline const uint32_t * planes_perm(const planes_header * h, const uint8_t * base) {
    return h->off_perm ? (const uint32_t *)(base + h->off_perm) : NULL;
}

// Packed: where column c (of its scale group) of row r of tile k sits: byte, and shift within it.
static inline uint64_t planes_packed_at(const planes_header * h, uint32_t nt, uint32_t k, uint32_t r, uint32_t c, uint32_t * shift) {
    const uint32_t in_block = c % planes_block_cols(h);
    *shift = in_block / 4 * h->bits;
    return planes_block_offset(nt, c / planes_block_cols(h), k) + 4 * r + in_block % 4;
}
static inline uint32_t planes_packed_code(const planes_header * h, const uint8_t * group, uint32_t nt, uint32_t k, uint32_t r, uint32_t c) {
    uint32_t shift;
    const uint64_t at = planes_packed_at(h, nt, k, r, c, &shift);
    return group[at] >> shift & ((1u << h->bits) - 1);
}

// Stored byte <-> +-1 pattern of 8 columns (bit j: column j is +1).
static inline uint8_t planes_encode(uint32_t p) { return (uint8_t)(p & 0x80 ? p ^ 0x7f : p); }
static inline uint32_t planes_decode(uint8_t b) { return b & PLANES_SIGN ? b ^ 0x7fu : b; }

// Zero point of a row in a group: stored, or 2^(n-1) (signed codes).
static inline uint32_t planes_zero(const planes_header * h, const uint8_t * zeros, uint32_t r) {
    return zeros ? zeros[r] : 1u << (h->bits - 1);
}

static inline float planes_scale(const planes_header * h, const uint8_t * scales, uint32_t r) {
    switch (h->scale_type) {
    case RSR_DTYPE_F32: { float f; memcpy(&f, scales + 4 * r, 4); return f; }
    case RSR_DTYPE_F16: { uint16_t v; memcpy(&v, scales + 2 * r, 2); return rsr_f16_to_f32(v); }
    default:            { uint16_t v; memcpy(&v, scales + 2 * r, 2); return rsr_bf16_to_f32(v); }
    }
}

// Per product, per vector: the int8 input as the tables see it (gathered when permuted), and the int32 sum
// of each scale group of it.
typedef struct planes_input {
    const int8_t * x;   // cols values, stored column order, then at least 16 zeros (a packed 2-bit block)
    const int32_t * group_sums;
} planes_input;

static inline uint64_t planes_padded_cols(const planes_header * h) { return rsr_align_up(h->cols + 16); }
// Bytes of one vector's planes_input in work (x padded to 64, then the sums).
static inline uint64_t planes_input_bytes(const planes_header * h) {
    return rsr_align_up(planes_padded_cols(h) + (uint64_t)h->n_groups * 4);
}
// Fills an input record for vector x at rec.
void planes_prepare_input(const planes_header * h, const uint8_t * base, const int8_t * x, uint8_t * rec);
static inline planes_input planes_input_at(const planes_header * h, const uint8_t * rec) {
    return (planes_input){ (const int8_t *)rec, (const int32_t *)(rec + planes_padded_cols(h)) };
}

// Everything a product kernel needs.
typedef struct planes_product {
    const planes_header * h;
    const uint8_t * base;
    const uint8_t * inputs; // batch records of planes_input_bytes
    float * y;              // [batch][rows]
    uint32_t batch;
    uint8_t * work;         // per-thread scratch after the records
    uint64_t thread_bytes;
    rsr_pool * pool;
    int n_threads;
} planes_product;

// The decode kernels run one vector at a time over parts of the quads, several per thread so that a
// thread that starts late or runs slower (another process on its core) takes fewer; each thread builds a
// vector's tables once, in its own scratch, before its first part of that vector.
// A packed decode kernel's product of one quad of nt tiles: y[tile][64] over all scale groups.
typedef void (*planes_quad_fn)(const planes_header * h, const uint8_t * quad, uint32_t nt, const planes_input * in, float * y);

typedef struct planes_vector_task {
    const planes_product * p;
    uint32_t v;         // the current vector
    planes_input in;    // its input
    uint32_t * built;   // per thread: 1 + the vector its tables hold (0: none)
    planes_quad_fn quad; // packed kernels: their quad product
} planes_vector_task;

#define PLANES_PARTS_PER_THREAD 4u

static inline uint32_t planes_parts(const planes_product * p) {
    return rsr_min_u32(planes_quads(p->h), (uint32_t)p->n_threads * PLANES_PARTS_PER_THREAD);
}

// The quads [*q0, *q1) of part `part`; false when it has none.
static inline bool planes_part_quads(const planes_product * p, uint32_t part, uint32_t * q0, uint32_t * q1) {
    const uint64_t quads = planes_quads(p->h), parts = planes_parts(p);
    *q0 = (uint32_t)(part * quads / parts);
    *q1 = (uint32_t)((part + 1) * quads / parts);
    return *q0 < *q1;
}

// A kernel's tables of the n_tables table groups of x (each kernel stores them its own way).
typedef void (*planes_build_fn)(const int8_t * x, uint32_t n_tables, uint8_t * tables);

// How every decode task starts: the quads [*q0, *q1) of its part, and the tables of the task's vector in
// this thread's scratch, built by the thread's first part of that vector. NULL when the part has no quads.
static inline uint8_t * planes_task_start(const planes_vector_task * c, uint32_t part, int thread, planes_build_fn build,
                                          uint32_t * q0, uint32_t * q1) {
    if (!planes_part_quads(c->p, part, q0, q1)) return NULL;
    uint8_t * tables = c->p->work + (uint64_t)thread * c->p->thread_bytes;
    if (c->built[thread] != c->v + 1) build(c->in.x, rsr_div_up(c->p->h->cols, PLANES_GROUP_COLS), tables);
    c->built[thread] = c->v + 1;
    return tables;
}

// Runs fn(task, part, thread) over the parts on the pool's threads, vector after vector (`quad`: what a
// packed kernel gives its task, else NULL).
static inline void planes_for_each_vector(const planes_product * p, rsr_task_fn fn, planes_quad_fn quad) {
    uint32_t built[256] = { 0 }; // rsr_pool has at most 256 threads
    planes_vector_task task = { .p = p, .built = built, .quad = quad };
    for (task.v = 0; task.v < p->batch; ++task.v) {
        task.in = planes_input_at(p->h, p->inputs + (uint64_t)task.v * planes_input_bytes(p->h));
        rsr_pool_run(p->pool, fn, &task, planes_parts(p));
    }
}

void planes_product_generic(const planes_product * p);
void planes_product_avx512(const planes_product * p);
void planes_batch_avx512(const planes_product * p);
void planes_product_avx2(const planes_product * p);
// Packed codes one vector at a time: every part's quads through `quad`.
void planes_packed_product(const planes_product * p, planes_quad_fn quad);
void planes_packed_generic(const planes_product * p);
void planes_packed_avx512(const planes_product * p);
void planes_packed_avx2(const planes_product * p);
// Whether a batch takes the batch kernel: its unpacking costs about what decoding 16 / bits vectors does
// (rsr bench kernels, 4096x4096, 2 threads: the batch kernel wins from batch 2 at 8 bits, 4 at 4 bits, 8 at 2).
// Packed codes unpack cheaply, but their decode kernel is as much faster, and the same rule holds (4 bits:
// 778 us at batch 2 against twice 278 one vector at a time, 1032 at batch 4 against 4 x 278).
static inline bool planes_use_batch(const planes_header * h, uint32_t batch) { return batch * h->bits >= 16; }
// Per-thread scratch bytes: the largest of the kernels' tables (portable: 128 int32 per table group) and
// the batch kernel's unpacked codes of one scale group (64 bytes per column, never more).
static inline uint64_t planes_thread_bytes(const planes_header * h) {
    return rsr_align_up((uint64_t)rsr_div_up(h->cols, PLANES_GROUP_COLS) * PLANES_TABLE * 4);
}

#endif // PLANES_LAYOUT_H
