// attention.c: causal multi-head attention over a KV cache (grouped-query heads share a KV head), and the
// per-token int8 quantization of activations that precedes every ternary product.
#include "activations.h"

#include <math.h>

// A task takes up to ATTENTION_HEADS heads that share a KV head, for up to tile_rows / heads consecutive
// tokens of one sequence (a prompt's; a decoding sequence has one), and walks the keys and values in blocks
// of STEP positions per head of the task (16 KiB at four heads of 128), each block serving every head and
// token of the task while it is in L1: the cache is read from memory once per KV head instead of once per
// query head, and a prompt's block from L2 once per tile of tokens instead of once per token. The first
// pass over a block reads it from memory, row after row at ascending addresses, which the hardware
// prefetchers follow; the other passes find the block in L1 and interleave rows for the adders. Each task
// asks for its first FIRST_BYTES at once, while the prefetchers pick the stream up, and nothing after that:
// asking for rows ahead all along (4 to 32 KiB ahead) made decode attention 13-18% slower at 1000 positions
// on bitnet_b1_58-large, and no faster at 160.
//
// A cache of halves is widened to f32 a block at a time, into a buffer in L1 that every head and token of
// the task then reads: the f32 kernels run on the same values, so its results are those of an f32 cache
// holding the rounded values, and the widening is paid once per KV head and tile, not per query head and
// token (a prompt's tokens widening every earlier position each made f16 prefill quadratic in conversions).
#define ATTENTION_HEADS 4u
#define MAX_TILE_ROWS 64u      // query rows (tokens x heads) of a task: its rows of scores
#define SCORES_BUDGET (1u << 20) // bytes of those rows a thread holds, before tiles shrink (long contexts)
#define STEP 8u
#define FIRST_BYTES 8192u
#define WIDE_FLOATS 8192u // a task's widened block: 32 KiB

// Asks for the first FIRST_BYTES of a head's keys or values (of those that exist).
static inline void prefetch_start(const char * base, uint32_t n_pos, uint32_t d, uint32_t value_bytes) {
    const uint64_t all = (uint64_t)n_pos * d * value_bytes, bytes = all < FIRST_BYTES ? all : FIRST_BYTES;
    for (uint64_t b = 0; b < bytes; b += 64) __builtin_prefetch((const char *)base + b, 0, 2);
}

typedef struct attention_ctx {
    const rsr_attention_sequence * seqs;
    uint32_t first_task[RSR_ATTENTION_MAX_SEQUENCES + 1]; // sequence s has tasks [first_task[s], first_task[s + 1])
    uint32_t tiles[RSR_ATTENTION_MAX_SEQUENCES];          // sequence s's tiles of tokens
    float * scores; // per thread: tile_rows rows of scores
    float * wide;   // per thread: WIDE_FLOATS cache values, widened (F16) or copied (a tile's F32)
    uint32_t n_seqs, n_heads, n_kv, head_dim, stride_scores, tile_rows, heads_per_task, tokens_per_task;
    float scale;
    act_scores_fn scores_streamed, scores_cached; // the first pass over a block, the others'
    act_weighted_sum_fn weighted_sum;
    act_scores2_fn scores2;               // two heads at once over a block in L1 (NULL: one at a time)
    act_weighted_sum2_fn weighted_sum2;
    act_softmax_fn softmax;
    act_widen_fn widen;   // F16 caches; NULL for F32
    uint32_t value_bytes; // of the cache: 4 (F32) or 2 (F16)
    uint32_t block_rows;  // positions per block: STEP per head of a task, fewer where their rows fill WIDE_FLOATS
} attention_ctx;

// n rows of d cache values at `at` as f32: widened into `wide` for an F16 cache; for F32, copied there when
// `copy`, in place otherwise.
static inline const float * rows_f32(const attention_ctx * c, const char * at, uint32_t n, uint32_t d, float * wide, bool copy) {
    if (c->widen) c->widen((const uint16_t *)at, (uint64_t)n * d, wide);
    else if (copy) memcpy(wide, at, (size_t)n * d * sizeof(float));
    else return (const float *)at;
    return wide;
}

// The first of a tile's tokens that attends to position `at`, where the tile's token j has first_pos + j
// positions.
static inline uint32_t first_reaching(uint32_t at, uint32_t first_pos) { return at < first_pos ? 0 : at - first_pos + 1; }

// Tokens [t0, t1) and heads [h0, h0 + heads_per_task) of one KV head: for each, softmax(q k^T * scale) over
// positions 0..start+t, times V, in f32 like the reference implementation (with fused multiply-adds, as its
// BLAS has them): the result is rounded to int8 two steps later, and computing it more exactly than
// transformers does moves some of those roundings to the other side of .5. Blocking and tiling change no
// result: each row's sums run over its positions in the same order, page after page, a token's rows
// stopping at its own last position. A page that follows the previous one in memory continues its stream,
// so only the first is asked for.
static void attention_task(void * raw, uint32_t task, int thread) {
    const attention_ctx * c = raw;
    uint32_t s = 0;
    while (task >= c->first_task[s + 1]) ++s; // a few sequences: a scan is enough
    const rsr_attention_sequence * seq = &c->seqs[s];
    task -= c->first_task[s];
    // a sequence's tasks by head group, then tile: the tiles of a prompt that follow each other read the
    // same KV head, which stays in L2 from one to the next
    const uint32_t tile = task % c->tiles[s], h0 = task / c->tiles[s] * c->heads_per_task, kv = h0 / (c->n_heads / c->n_kv);
    const uint32_t t0 = tile * c->tokens_per_task, n_t = rsr_min_u32(c->tokens_per_task, seq->n_tokens - t0);
    const uint32_t d = c->head_dim, n_h = c->heads_per_task, page = seq->page_positions;
    const uint32_t n_pos = seq->start + t0 + n_t, first_pos = n_pos - n_t + 1; // token t0 + j has first_pos + j positions
    // in bytes: a page of one KV head, one position's row
    const uint64_t row_bytes = (uint64_t)d * c->value_bytes, page_bytes = page * row_bytes;
    const uint64_t head_offset = (uint64_t)kv * seq->n_pages * page_bytes;
    const float * q = seq->q + ((uint64_t)t0 * c->n_heads + h0) * d;
    const char * keys = (const char *)seq->k + head_offset, * values = (const char *)seq->v + head_offset;
    float * out = seq->out + ((uint64_t)t0 * c->n_heads + h0) * d;
    float * scores = c->scores + (uint64_t)thread * c->tile_rows * c->stride_scores; // row j * n_h + h: token t0 + j, head h0 + h
    float * wide = c->wide + (uint64_t)thread * WIDE_FLOATS;
    // A tile's blocks of an f32 cache are copied to the L1 buffer first, where its passes read them: reading
    // them in place instead, 16 query rows a block, took 25-30% longer (2B4T's prefill attention at 1024
    // positions); a lone token's few passes read them in place (copying measured slower there).
    const bool copy = n_t > 1;
    // Blocks are small so that a task's other heads and tokens find them in L1. A lone token's lone head
    // (no query heads share a KV head) reads a page a call instead: a block of 8 positions a call made its
    // value pass take twice its key pass on bitnet_b1_58-large (each call divides a run of weights and
    // reloads its sums). A page a call, it decodes 8% faster at 160 positions on one thread (medians of six
    // alternating rounds; 1% on two), and 57-65% of the bound became 72-78% at 512.
    const uint32_t lone = c->widen ? rsr_min_u32(page, WIDE_FLOATS / d) : page;
    const uint32_t block = n_t == 1 && n_h == 1 ? lone : c->block_rows, q_stride = c->n_heads * d;
    for (uint32_t first = 0, i = 0; first < n_pos; first += page, ++i) {
        const char * k = keys + seq->pages[i] * page_bytes;
        const uint32_t rows = rsr_min_u32(page, n_pos - first);
        if (!i || seq->pages[i] != seq->pages[i - 1] + 1) prefetch_start(k, rows, d, c->value_bytes);
        for (uint32_t p = 0; p < rows; p += block) {
            const uint32_t n = rsr_min_u32(block, rows - p), at = first + p;
            const float * kp = rows_f32(c, k + p * row_bytes, n, d, wide, copy);
            const uint32_t j0 = first_reaching(at, first_pos);
            for (uint32_t j = j0; j < n_t; ++j) {
                const uint32_t m = rsr_min_u32(n, first_pos + j - at);
                const float * qj = q + (uint64_t)j * q_stride;
                float * sj = scores + (uint64_t)j * n_h * c->stride_scores + at;
                uint32_t h = 0;
                if (copy && c->scores2) { // the block is in L1: heads two at a time
                    for (; h + 2 <= n_h; h += 2) {
                        c->scores2(qj + h * d, qj + (h + 1) * d, kp, m, d, d, c->scale, sj + h * c->stride_scores, sj + (h + 1) * c->stride_scores);
                    }
                } else {
                    (j == j0 ? c->scores_streamed : c->scores_cached)(qj, kp, m, d, d, c->scale, sj);
                    h = 1;
                }
                for (; h < n_h; ++h) c->scores_cached(qj + h * d, kp, m, d, d, c->scale, sj + h * c->stride_scores);
            }
        }
    }
    prefetch_start(values + seq->pages[0] * page_bytes, rsr_min_u32(page, n_pos), d, c->value_bytes); // while the softmax runs
    float sums[MAX_TILE_ROWS];
    for (uint32_t j = 0; j < n_t; ++j) {
        for (uint32_t h = 0; h < n_h; ++h) {
            sums[j * n_h + h] = c->softmax(scores + (uint64_t)(j * n_h + h) * c->stride_scores, first_pos + j);
        }
        memset(out + (uint64_t)j * q_stride, 0, (size_t)n_h * d * sizeof(float));
    }
    for (uint32_t first = 0, i = 0; first < n_pos; first += page, ++i) {
        const char * v = values + seq->pages[i] * page_bytes;
        const uint32_t rows = rsr_min_u32(page, n_pos - first);
        if (i && seq->pages[i] != seq->pages[i - 1] + 1) prefetch_start(v, rows, d, c->value_bytes);
        for (uint32_t p = 0; p < rows; p += block) {
            const uint32_t n = rsr_min_u32(block, rows - p), at = first + p;
            const float * vp = rows_f32(c, v + p * row_bytes, n, d, wide, copy);
            for (uint32_t j = first_reaching(at, first_pos); j < n_t; ++j) {
                const uint32_t m = rsr_min_u32(n, first_pos + j - at);
                float * oj = out + (uint64_t)j * q_stride;
                const float * sj = scores + (uint64_t)j * n_h * c->stride_scores + at;
                const float * tj = sums + j * n_h;
                uint32_t h = 0;
                // heads two at a time, each row of values loaded once for both, in place for a lone token
                // too (its rows stay in order): 2B4T's value pass at 1024 positions took a fifth less time
                if (c->weighted_sum2) {
                    for (; h + 2 <= n_h; h += 2) {
                        c->weighted_sum2(oj + h * d, oj + (h + 1) * d, sj + h * c->stride_scores, sj + (h + 1) * c->stride_scores,
                                         tj[h], tj[h + 1], vp, m, d, d);
                    }
                }
                for (; h < n_h; ++h) c->weighted_sum(oj + h * d, sj + h * c->stride_scores, tj[h], vp, m, d, d);
            }
        }
    }
}

// Heads per task: as many of a KV head's query heads as divide its group (at most ATTENTION_HEADS), so that
// each KV head's cache is read once; fewer only while that leaves a thread without a task. (Smaller tasks,
// four a thread, balance better but read a KV head's cache once per task: BitNet 2B4T's decode attention,
// 5 KV heads on 2 threads, took 5-14% longer that way at 100-1100 positions.)
static uint32_t heads_per_task(uint32_t n_tokens, uint32_t n_heads, uint32_t n_kv, int n_threads) {
    const uint32_t group = n_heads / n_kv;
    uint32_t best = 1;
    for (uint32_t h = 2; h <= rsr_min_u32(group, ATTENTION_HEADS); ++h) {
        if (group % h == 0 && (uint64_t)n_tokens * (n_heads / h) >= (uint32_t)n_threads) best = h;
    }
    return best;
}

// Tasks of the sequences with tiles of `tokens` tokens.
static uint64_t count_tasks(const rsr_attention_sequence * seqs, uint32_t n_seqs, uint32_t tokens, uint32_t groups) {
    uint64_t tasks = 0;
    for (uint32_t s = 0; s < n_seqs; ++s) tasks += (uint64_t)rsr_div_up(seqs[s].n_tokens, tokens) * groups;
    return tasks;
}

// Rows of scores a task may hold: MAX_TILE_ROWS, halved while they pass SCORES_BUDGET (down to
// ATTENTION_HEADS, a token's heads). More rows share each block of keys and values: 16, 32 and 64 rows took
// 35.0, 30.3 and 28.6 ms for a layer of 2B4T's prefill attention at 1024 positions, 578, 504 and 453 at 4096.
static uint32_t tile_rows(uint32_t n_positions) {
    const uint64_t row_bytes = rsr_align_up((uint64_t)n_positions * sizeof(float));
    uint32_t rows = MAX_TILE_ROWS;
    while (rows > ATTENTION_HEADS && rows * row_bytes > SCORES_BUDGET) rows /= 2;
    return rows;
}

// Tokens per task: a tile's rows of scores, fewer while that leaves the threads fewer than four tasks each
// (a prompt's last tiles take longest: their tokens attend to the most positions).
static uint32_t tokens_per_task(const rsr_attention_sequence * seqs, uint32_t n_seqs, uint32_t rows, uint32_t heads, uint32_t groups,
                                int n_threads) {
    uint32_t tokens = rows / heads;
    while (tokens > 1 && count_tasks(seqs, n_seqs, tokens, groups) < 4u * (uint64_t)n_threads) tokens /= 2;
    return tokens;
}

// Per thread: tile_rows rows of scores, then WIDE_FLOATS widened or copied values.
static uint64_t scores_bytes(uint32_t n_positions, int n_threads) {
    return (uint64_t)n_threads * tile_rows(n_positions) * rsr_align_up((uint64_t)n_positions * sizeof(float));
}

rsr_status rsr_attention_work_size(uint32_t n_positions, int n_threads, uint64_t * bytes) {
    if (!bytes) return RSR_ERR_NULL;
    if (n_threads < 1 || n_threads > 256) return RSR_ERR_THREADS;
    *bytes = scores_bytes(n_positions, n_threads) + (uint64_t)n_threads * WIDE_FLOATS * sizeof(float) + RSR_ALIGN;
    return RSR_OK;
}

rsr_status rsr_attention_sequences(const rsr_attention_sequence * seqs, uint32_t n_seqs, uint32_t n_heads, uint32_t n_kv,
                                   uint32_t head_dim, rsr_dtype cache_type, void * work, uint64_t work_bytes, rsr_pool * pool) {
    if (!seqs || !work) return RSR_ERR_NULL;
    if (n_seqs == 0 || n_seqs > RSR_ATTENTION_MAX_SEQUENCES || n_heads == 0 || n_kv == 0 || head_dim == 0 || n_heads % n_kv) {
        return RSR_ERR_SHAPE;
    }
    if (cache_type != RSR_DTYPE_F32 && cache_type != RSR_DTYPE_F16) return RSR_ERR_ARGUMENT;
    if (head_dim > WIDE_FLOATS) return RSR_ERR_SHAPE; // a position of a head must fit the L1 buffer
    attention_ctx c = {
        .seqs = seqs, .n_seqs = n_seqs, .n_heads = n_heads, .n_kv = n_kv, .head_dim = head_dim,
        .scores = (float *)(((uintptr_t)work + RSR_ALIGN - 1) & ~(uintptr_t)(RSR_ALIGN - 1)),
        .scale = 1.0f / sqrtf((float)head_dim),
        .scores_streamed = act_scores_generic, .scores_cached = act_scores_generic,
        .weighted_sum = act_weighted_sum_generic, .softmax = act_softmax_generic,
        .widen = cache_type == RSR_DTYPE_F16 ? act_widen_generic : NULL,
        .value_bytes = cache_type == RSR_DTYPE_F16 ? 2 : 4,
    };
    uint64_t tokens = 0;
    uint32_t positions = 0;
    for (uint32_t s = 0; s < n_seqs; ++s) {
        const rsr_attention_sequence * seq = &seqs[s];
        if (!seq->q || !seq->k || !seq->v || !seq->out || !seq->pages) return RSR_ERR_NULL;
        if (seq->n_tokens == 0 || seq->page_positions == 0) return RSR_ERR_SHAPE;
        if ((uint64_t)seq->start + seq->n_tokens > RSR_MAX_DIM) return RSR_ERR_OVERFLOW;
        const uint32_t n_pos = seq->start + seq->n_tokens;
        for (uint32_t i = 0; i <= (n_pos - 1) / seq->page_positions; ++i) {
            if (seq->pages[i] >= seq->n_pages) return RSR_ERR_SHAPE;
        }
        tokens += seq->n_tokens;
        positions = rsr_max_u32(positions, seq->start + seq->n_tokens);
    }
    if (tokens * n_heads > UINT32_MAX) return RSR_ERR_OVERFLOW;
    uint64_t need;
    rsr_status st = rsr_attention_work_size(positions, rsr_pool_n(pool), &need);
    if (st != RSR_OK) return st;
    if (work_bytes < need) return RSR_ERR_BUFFER;
    c.stride_scores = (uint32_t)(rsr_align_up((uint64_t)positions * sizeof(float)) / sizeof(float));
    c.heads_per_task = heads_per_task((uint32_t)tokens, n_heads, n_kv, rsr_pool_n(pool));
    c.block_rows = rsr_min_u32(STEP * c.heads_per_task, WIDE_FLOATS / head_dim); // a block fits the L1 buffer
    c.wide = (float *)((char *)c.scores + scores_bytes(positions, rsr_pool_n(pool)));
    c.first_task[0] = 0;
    const uint32_t groups = n_heads / c.heads_per_task;
    c.tile_rows = tile_rows(positions);
    c.tokens_per_task = tokens_per_task(seqs, n_seqs, c.tile_rows, c.heads_per_task, groups, rsr_pool_n(pool));
    for (uint32_t s = 0; s < n_seqs; ++s) {
        c.tiles[s] = rsr_div_up(seqs[s].n_tokens, c.tokens_per_task);
        c.first_task[s + 1] = c.first_task[s] + c.tiles[s] * groups;
    }
#if defined(__x86_64__)
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX2) {
        c.scores_streamed = act_scores_rows_avx2;
        c.scores_cached = act_scores_avx2;
        c.weighted_sum = act_weighted_sum_avx2;
        c.softmax = act_softmax_avx2;
        if (c.widen && rsr_x86_has_f16c()) c.widen = act_widen_avx2;
    }
    if (rsr_pool_isa(pool) >= RSR_ISA_AVX512) {
        c.scores_streamed = act_scores_rows_avx512;
        c.scores_cached = act_scores_avx512;
        c.softmax = act_softmax_avx512;
        c.weighted_sum = act_weighted_sum_avx512;
        c.scores2 = act_scores2_avx512;
        c.weighted_sum2 = act_weighted_sum2_avx512;
        if (c.widen) c.widen = act_widen_avx512;
    }
#endif
    rsr_pool_run(pool, attention_task, &c, c.first_task[n_seqs]);
    return RSR_OK;
}

rsr_status rsr_attention_f32(const float * q, uint32_t n_tokens, uint32_t start, uint32_t n_heads, uint32_t n_kv,
                             uint32_t head_dim, uint32_t capacity, const float * k, const float * v, float * out,
                             void * work, uint64_t work_bytes, rsr_pool * pool) {
    if ((uint64_t)start + n_tokens > capacity) return RSR_ERR_SHAPE;
    static const uint32_t only_page = 0;
    const rsr_attention_sequence seq = { .q = q, .out = out, .k = k, .v = v, .pages = &only_page, .n_tokens = n_tokens, .start = start,
                                         .page_positions = capacity, .n_pages = 1 };
    return rsr_attention_sequences(&seq, 1, n_heads, n_kv, head_dim, RSR_DTYPE_F32, work, work_bytes, pool);
}


// Sixteen partial sums (one AVX-512 register) of fused multiply-adds, added pairwise: a GEMM's kind of f32
// order, at one rounding per product and sum.
void act_scores_generic(const float * q, const float * k, uint32_t n, uint32_t stride, uint32_t d, float scale, float * scores) {
    for (uint32_t p = 0; p < n; ++p) {
        const float * kp = k + (uint64_t)p * stride;
        float acc[16] = { 0 };
        for (uint32_t i = 0; i < d; ++i) acc[i % 16] = fmaf(q[i], kp[i], acc[i % 16]);
        scores[p] = act_pairwise16(acc) * scale;
    }
}

void act_weighted_sum_generic(float * out, const float * weights, float total, const float * v, uint32_t n, uint32_t stride, uint32_t d) {
    for (uint32_t p = 0; p < n; ++p) {
        const float w = weights[p] / total, * vp = v + (uint64_t)p * stride;
        for (uint32_t i = 0; i < d; ++i) out[i] = fmaf(w, vp[i], out[i]);
    }
}

// HF's per-token absmax: s = 127 / max(max|x|, 1e-5), round half to even, clamp to [-128, 127].
float act_quantize_generic(const float * x, uint32_t n, int8_t * q) {
    float amax = 0;
    for (uint32_t c = 0; c < n; ++c) amax = fmaxf(amax, fabsf(x[c]));
    const float s = 127.0f / fmaxf(amax, 1e-5f);
    for (uint32_t c = 0; c < n; ++c) q[c] = act_quantize_one(x[c], s);
    return s;
}
