// rsr-batch.c: the batched classical RSR driver (see rsr-batch.h).
#include "rsr-batch.h"

typedef struct batch_ctx {
    const rsr_product * const * p; // products of one input: same columns, k and weights (one for f32)
    uint32_t first_task[RSR_MANY_MAX + 1], per_task[RSR_MANY_MAX]; // product j's block tasks, from first_task[j]
    const rsr_batch_ops * ops;
    rsr_act act;
    uint32_t v0, nv, tile;
    bool narrow; // int8 in a narrow tile of int16 rows (ops->segments_i16)
} batch_ctx;

// Columns in chunks of 64: each vector's chunk is read contiguously and scattered into 64 rows of xt that
// stay in L1 while the chunk is filled.
static void transpose_task(void * raw, uint32_t task, int thread) {
    const batch_ctx * c = raw;
    const rsr_layout_header * h = c->p[0]->h;
    const uint32_t c0 = task * 64, n = rsr_min_u32(64, h->cols - c0);
    if (c->narrow) {
        int16_t * xt = (int16_t *)c->p[0]->work + (uint64_t)c0 * c->tile;
        const int8_t * x0 = (const int8_t *)c->p[0]->x + (uint64_t)c->v0 * h->cols + c0;
        for (uint32_t v = 0; v < c->tile; ++v) {
            const int8_t * x = x0 + (uint64_t)v * h->cols;
            if (v < c->nv) for (uint32_t i = 0; i < n; ++i) xt[(uint64_t)i * c->tile + v] = x[i];
            else for (uint32_t i = 0; i < n; ++i) xt[(uint64_t)i * c->tile + v] = 0;
        }
    } else if (c->act == RSR_ACT_I8) {
        uint8_t * xt = c->p[0]->work + (uint64_t)c0 * c->tile;
        const int8_t * x0 = (const int8_t *)c->p[0]->x + (uint64_t)c->v0 * h->cols;
        if (c->ops->transpose_i8) {
            c->ops->transpose_i8(x0, h->cols, c0, n, c->nv, c->tile, xt);
            return;
        }
        for (uint32_t v = 0; v < c->tile; ++v) {
            const int8_t * x = x0 + (uint64_t)v * h->cols + c0;
            if (v < c->nv) for (uint32_t i = 0; i < n; ++i) xt[(uint64_t)i * c->tile + v] = (uint8_t)(x[i] + 128);
            else for (uint32_t i = 0; i < n; ++i) xt[(uint64_t)i * c->tile + v] = 128;
        }
    } else {
        float * xt = (float *)c->p[0]->work + (uint64_t)c0 * c->tile;
        for (uint32_t v = 0; v < c->tile; ++v) {
            const float * x = (const float *)c->p[0]->x + (uint64_t)(c->v0 + v) * h->cols + c0;
            for (uint32_t i = 0; i < n; ++i) xt[(uint64_t)i * c->tile + v] = v < c->nv ? x[i] : 0.0f;
        }
    }
}

// int8 rows out[n_rows][tile], in the tile's lanes, less bias[i] for row i, into y[v][i] for v < nv (y at
// the first row, rows apart).
static void flush_rows_i8(const batch_ctx * c, const int32_t * out, const int32_t * bias, uint32_t n_rows, int32_t * y,
                          uint32_t rows) {
    if (c->narrow) { // lanes in vector order, no bias
        for (uint32_t v = 0; v < c->nv; ++v) {
            for (uint32_t i = 0; i < n_rows; ++i) y[(uint64_t)v * rows + i] = out[(uint64_t)i * c->tile + v];
        }
        return;
    }
    if (c->ops->untranspose_i8) {
        c->ops->untranspose_i8(out, c->tile, n_rows, c->nv, bias, y, rows);
        return;
    }
    for (uint32_t l = 0; l < c->tile; ++l) {
        const uint32_t v = rsr_i8_vector_of_lane(l);
        if (v >= c->nv) continue;
        for (uint32_t i = 0; i < n_rows; ++i) y[(uint64_t)v * rows + i] = out[(uint64_t)i * c->tile + l] - bias[i];
    }
}

// Per block: segment sums and fold. f32 rows go to yt[row][tile]. int8 rows collect in a staging buffer of
// RSR_STAGED_ROWS rows that goes to y, bias removed on the way, whenever the next block would not fit: a
// buffer of all rows transposed afterwards went through memory (3.5 MB for a 6912-row product), and each
// block writing its k rows to y directly measured slower than the staging (each write touches 128 lines,
// one per vector, rows x 4 bytes apart). A task's blocks belong to product j of the list.
static void blocks_task(void * raw, uint32_t task, int thread) {
    const batch_ctx * c = raw;
    uint32_t j = 0;
    while (task >= c->first_task[j + 1]) ++j;
    const rsr_product * p = c->p[j];
    const rsr_layout_header * h = p->h;
    const uint32_t npat = rsr_npat(h), tile = c->tile;
    const uint64_t slice_bytes = rsr_work_slice(h, c->act, p->batch), prefix_bytes = rsr_i16_prefix_bytes(h, c->act, p->batch);
    uint8_t * slice = rsr_thread_work(p, rsr_work_shared(h, c->act, p->batch), slice_bytes, thread);
    // narrow tiles' running sums, at the end of the slice where the work has room for them (rsr-layout.h)
    int16_t * prefix = c->narrow && prefix_bytes ? (int16_t *)(slice + slice_bytes - prefix_bytes) : NULL;
    const uint32_t b0 = (task - c->first_task[j]) * c->per_task[j], b1 = rsr_min_u32(b0 + c->per_task[j], h->n_blocks);
    int32_t * staged = (int32_t *)slice + (uint64_t)npat * tile, * y = (int32_t *)p->y + (uint64_t)c->v0 * h->rows;
    int32_t bias[RSR_STAGED_ROWS]; // of the staged rows: 128 times each row's weight sum (rsr-batch.h)
    uint32_t staged_r0 = b0 * h->k, n_staged = 0;
    for (uint32_t b = b0; b < b1; ++b) {
        const uint8_t * perm = rsr_perm_at(h, p->base, b), * seg = rsr_seg_at(h, p->base, b);
        const uint32_t r0 = b * h->k, kb = rsr_block_rows(h, b);
        if (c->act == RSR_ACT_F32) {
            float * S = (float *)slice, * out = S + (uint64_t)npat * tile;
            float * yt = (float *)(p->work + rsr_work_inputs(h, c->act, p->batch));
            c->ops->segments_f32(h, perm, seg, (const float *)p->work, tile, S);
            c->ops->fold_f32(h, h->k, S, tile, out);
            memcpy(yt + (uint64_t)r0 * tile, out, (uint64_t)kb * tile * sizeof(float));
            continue;
        }
        if (n_staged + h->k > RSR_STAGED_ROWS) { // the fold writes k rows, even for a short last block
            flush_rows_i8(c, staged, bias, n_staged, y + staged_r0, h->rows);
            staged_r0 = r0, n_staged = 0;
        }
        int32_t * S = (int32_t *)slice, * out = staged + (uint64_t)n_staged * tile;
        if (c->narrow) {
            c->ops->segments_i16(h, perm, seg, (const int16_t *)p->work, tile, prefix, S);
            c->ops->fold_i32(h, h->k, S, tile, out);
            n_staged += kb;
            continue;
        }
        if (c->ops->segments_first_i8) {
            c->ops->segments_first_i8(h, perm, seg, p->work, tile, S, out);
            c->ops->fold_i32(h, h->k - 1, S, tile, out + tile);
        } else {
            c->ops->segments_i8(h, perm, seg, p->work, tile, S);
            c->ops->fold_i32(h, h->k, S, tile, out);
        }
        // The bias: 128 times each row's weight sum, which is the fold of the segment lengths.
        int32_t lengths[RSR_MAX_PATTERNS], row_sums[16];
        uint32_t bounds[RSR_MAX_PATTERNS + 1];
        rsr_load_seg(h, seg, bounds);
        for (uint32_t q = 0; q < npat; ++q) lengths[q] = (int32_t)(bounds[q + 1] - bounds[q]);
        if (h->weights == RSR_WEIGHTS_TERNARY) rsr_fold3_i32(lengths, h->k, row_sums);
        else rsr_fold2_i32(lengths, h->k, row_sums);
        for (uint32_t i = 0; i < kb; ++i) bias[n_staged + i] = 128 * row_sums[i];
        n_staged += kb;
    }
    if (c->act == RSR_ACT_I8 && n_staged) flush_rows_i8(c, staged, bias, n_staged, y + staged_r0, h->rows);
}

// f32: yt[rows][tile] -> y[v0 + v][rows], 64 rows per task so reads and writes both stay in few cache lines.
static void untranspose_task(void * raw, uint32_t task, int thread) {
    const batch_ctx * c = raw;
    const rsr_product * p = c->p[0];
    const rsr_layout_header * h = p->h;
    const float * yt = (const float *)(p->work + rsr_work_inputs(h, c->act, p->batch));
    const uint32_t r0 = task * 64, r1 = rsr_min_u32(r0 + 64, h->rows);
    for (uint32_t v = 0; v < c->nv; ++v) {
        float * dst = (float *)p->y + (uint64_t)(c->v0 + v) * h->rows;
        for (uint32_t r = r0; r < r1; ++r) dst[r] = yt[(uint64_t)r * c->tile + v];
    }
}

rsr_status rsr_product_i8_rsr_generic(const rsr_product * p);
rsr_status rsr_product_f32_rsr_generic(const rsr_product * p);

rsr_status rsr_batch_products(const rsr_product * const * p, uint32_t n, rsr_act act, const rsr_batch_ops * ops) {
    // One vector gains nothing from the transposed tile (one lane of 16 or 64 would be used): it takes the
    // portable per-vector kernel. f32 outputs go through a buffer of one product's rows.
    if (p[0]->batch == 1 || (act == RSR_ACT_F32 && n > 1)) {
        for (uint32_t j = 0; j < n; ++j) {
            rsr_status s;
            if (p[0]->batch > 1) s = rsr_batch_products(&p[j], 1, act, ops);
            else s = act == RSR_ACT_I8 ? rsr_product_i8_rsr_generic(p[j]) : rsr_product_f32_rsr_generic(p[j]);
            if (s != RSR_OK) return s;
        }
        return RSR_OK;
    }
    const rsr_layout_header * h = p[0]->h;
    // Narrow int16 tiles fit the work sized for byte tiles: rows of at most 64 bytes, fewer lanes.
    const bool narrow = act == RSR_ACT_I8 && ops->segments_i16 && p[0]->batch <= RSR_I16_TILE_MAX;
    uint32_t tile_max = narrow ? rsr_i16_tile(p[0]->batch) : rsr_batch_tile(act, p[0]->batch);
    if (act == RSR_ACT_I8 && !narrow && ops->i8_wide_tile_bytes && (uint64_t)h->cols * tile_max > ops->i8_wide_tile_bytes) {
        tile_max = RSR_I8_TILE; // a smaller tile within the work sized for the larger one
    }
    for (uint32_t v0 = 0; v0 < p[0]->batch; v0 += tile_max) {
        const uint32_t nv = rsr_min_u32(tile_max, p[0]->batch - v0);
        batch_ctx c = {
            .p = p, .ops = ops, .act = act, .v0 = v0, .nv = nv, .narrow = narrow,
            .tile = act == RSR_ACT_I8 ? tile_max : (nv + 15) / 16 * 16,
        };
        for (uint32_t j = 0; j < n; ++j) {
            c.per_task[j] = rsr_blocks_per_task(p[j]->h, p[0]->n_threads);
            c.first_task[j + 1] = c.first_task[j] + rsr_div_up(p[j]->h->n_blocks, c.per_task[j]);
        }
        // one transposed tile of the input for every product, then all their blocks as one job
        rsr_pool_run(p[0]->pool, transpose_task, &c, rsr_div_up(h->cols, 64));
        rsr_pool_run(p[0]->pool, blocks_task, &c, c.first_task[n]);
        if (act == RSR_ACT_F32) rsr_pool_run(p[0]->pool, untranspose_task, &c, rsr_div_up(h->rows, 64));
    }
    return RSR_OK;
}

rsr_status rsr_batch_product(const rsr_product * p, rsr_act act, const rsr_batch_ops * ops) {
    return rsr_batch_products(&p, 1, act, ops);
}
