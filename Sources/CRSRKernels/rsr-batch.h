// rsr-batch.h: the batched classical RSR driver, shared by the SIMD levels. Each level supplies the two
// pieces that need its registers (segment sums over transposed rows, and the fold on rows of lanes); the
// driver transposes the batch tile, runs the blocks on the pool and writes the outputs back.
//
// int8 inputs: gathering rows from L2 is the bottleneck, so a transposed row holds the tile's activations
// as bytes biased to unsigned (x + 128), one cache line per 64 vectors. A segment adds them as 16-bit words
// w = lo + 256 hi (lo: even vector, hi: odd vector), wrapping, and separately adds w >> 8 = hi. Over at
// most RSR_U8_RUN rows both byte sums fit 16 bits, so sum(lo) = sum(w) - 256 sum(hi) exactly, with no byte
// unpacking in the inner loop. Segment sums are int32 lanes, per 64-vector tile: lanes 0..31 the even
// vectors, 32..63 the odd ones. The bias adds 128 per column, i.e. 128 times the row's weight sum to each
// output; the driver removes it after the fold.
#ifndef RSR_BATCH_H
#define RSR_BATCH_H

#include "rsr-layout.h"

#define RSR_U8_RUN 256u  // sums of up to 256 bytes fit in 16 bits
#define RSR_I8_TILE 64u  // vectors per 64-byte transposed row

typedef struct rsr_batch_ops {
    // S[q][tile] for every pattern q of a block; xt rows are `tile` bytes (int8) or floats (f32).
    void (*segments_i8)(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                        const uint8_t * xt, uint32_t tile, int32_t * S);
    void (*segments_f32)(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                         const float * xt, uint32_t tile, float * S);
    // out[k][lanes] from S[npat][lanes] (S is overwritten); binary or ternary by h->weights.
    void (*fold_i32)(const rsr_layout_header * h, int32_t * S, uint32_t lanes, int32_t * out);
    void (*fold_f32)(const rsr_layout_header * h, float * S, uint32_t lanes, float * out);
} rsr_batch_ops;

rsr_status rsr_batch_product(const rsr_product * p, rsr_act act, const rsr_batch_ops * ops);

#endif // RSR_BATCH_H
