// planes-nibbles.h: a 4-bit bit-plane layout's weights again as nibbles, for one-vector products with int8
// dot products (rsr_planes_matvec_nibbles).
//
// Looking the planes up costs four byte permutes and four adds per 64 bytes of weights, which one Zen 4 core
// does at 12-14 GB/s; unpacking nibbles and one vpdpbusd per 64 weights runs near the memory's rate
// (docs/BENCHMARKS.md). Per row, 64-byte aligned: the f32 scale of each scale group, its zero point (bytes,
// only with zero points; padded to 4), then per group of 128-column steps 64 bytes, byte j holding the code
// of column j in its low nibble and of column j + 64 in its high one.
#ifndef PLANES_NIBBLES_H
#define PLANES_NIBBLES_H

#include "planes-layout.h"

#define NIBBLES_STEP 128u // columns per 64 bytes

typedef struct nibbles_shape {
    uint32_t rows, cols, group, n_groups;
    bool zeros;
    uint64_t codes_offset; // within a row
    uint64_t row_bytes;
} nibbles_shape;

static inline nibbles_shape nibbles_shape_of(const planes_header * h) {
    nibbles_shape s = { h->rows, h->cols, rsr_min_u32(h->group, h->cols), h->n_groups, (h->flags & RSR_PLANES_ZERO_POINTS) != 0, 0, 0 };
    s.codes_offset = rsr_align_up((uint64_t)s.n_groups * 4 + (s.zeros ? (s.n_groups + 3) / 4 * 4 : 0));
    s.row_bytes = rsr_align_up(s.codes_offset + (uint64_t)s.cols / 2);
    return s;
}

// One vector's product, rows [r0, r1), x in stored column order with its group sums.
void nibbles_rows_avx512(const nibbles_shape * s, const uint8_t * nibbles, const planes_input * in, float * y, uint32_t r0, uint32_t r1);

#endif // PLANES_NIBBLES_H
