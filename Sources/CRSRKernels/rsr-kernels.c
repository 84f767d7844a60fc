// rsr-kernels.c: portable classical RSR products. Per block and per activation vector: one segmented sum
// per pattern over the permuted input, then the fold into the block's outputs.
#include "rsr-layout.h"

// S[q] = sum over segment q of x[perm[j]], for index type IDX.
#define RSR_SEGMENT_SUMS(T, IDX, S, x, perm, seg, npat)                                  \
    do {                                                                                \
        const IDX * perm_ = (const IDX *)(perm), * seg_ = (const IDX *)(seg);           \
        for (uint32_t q = 0; q < (npat); ++q) {                                         \
            T s = 0;                                                                    \
            for (uint32_t j = seg_[q]; j < seg_[q + 1]; ++j) s += (x)[perm_[j]];        \
            (S)[q] = s;                                                                 \
        }                                                                               \
    } while (0)

static void block_i8(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                     const int8_t * x, int32_t * S, int32_t * out) {
    if (rsr_is_wide(h)) RSR_SEGMENT_SUMS(int32_t, uint32_t, S, x, perm, seg, rsr_npat(h));
    else RSR_SEGMENT_SUMS(int32_t, uint16_t, S, x, perm, seg, rsr_npat(h));
    if (h->weights == RSR_WEIGHTS_TERNARY) rsr_fold3_i32(S, h->k, out);
    else rsr_fold2_i32(S, h->k, out);
}

static void block_f32(const rsr_layout_header * h, const uint8_t * perm, const uint8_t * seg,
                      const float * x, float * S, float * out) {
    if (rsr_is_wide(h)) RSR_SEGMENT_SUMS(float, uint32_t, S, x, perm, seg, rsr_npat(h));
    else RSR_SEGMENT_SUMS(float, uint16_t, S, x, perm, seg, rsr_npat(h));
    if (h->weights == RSR_WEIGHTS_TERNARY) rsr_fold3_f32(S, h->k, out);
    else rsr_fold2_f32(S, h->k, out);
}

typedef struct blocks_ctx {
    const rsr_product * p;
    rsr_act act;
    uint32_t per_task;
} blocks_ctx;

static void blocks_task(void * raw, uint32_t task, int thread) {
    const blocks_ctx * c = raw;
    const rsr_product * p = c->p;
    const rsr_layout_header * h = p->h;
    const uint32_t cols = h->cols, rows = h->rows;
    void * S = rsr_thread_work(p, rsr_work_shared(h, c->act, p->batch), rsr_work_slice(h, c->act, p->batch), thread);
    const uint32_t b0 = task * c->per_task, b1 = rsr_min_u32(b0 + c->per_task, h->n_blocks);
    for (uint32_t b = b0; b < b1; ++b) {
        const uint8_t * perm = rsr_perm_at(h, p->base, b), * seg = rsr_seg_at(h, p->base, b);
        const uint32_t r0 = b * h->k, kb = rsr_block_rows(h, b);
        for (uint32_t v = 0; v < p->batch; ++v) {
            if (c->act == RSR_ACT_I8) {
                int32_t * out = (int32_t *)S + rsr_npat(h);
                block_i8(h, perm, seg, (const int8_t *)p->x + (uint64_t)v * cols, S, out);
                memcpy((int32_t *)p->y + (uint64_t)v * rows + r0, out, kb * sizeof *out);
            } else {
                float * out = (float *)S + rsr_npat(h);
                block_f32(h, perm, seg, (const float *)p->x + (uint64_t)v * cols, S, out);
                memcpy((float *)p->y + (uint64_t)v * rows + r0, out, kb * sizeof *out);
            }
        }
    }
}

static rsr_status run_generic(const rsr_product * p, rsr_act act) {
    blocks_ctx c = { .p = p, .act = act, .per_task = rsr_blocks_per_task(p->h, p->n_threads) };
    rsr_pool_run(p->pool, blocks_task, &c, rsr_div_up(p->h->n_blocks, c.per_task));
    return RSR_OK;
}

rsr_status rsr_product_i8_rsr_generic(const rsr_product * p) { return run_generic(p, RSR_ACT_I8); }
rsr_status rsr_product_f32_rsr_generic(const rsr_product * p) { return run_generic(p, RSR_ACT_F32); }
