// layout.c: the public layout and product entry points. Argument checks live here, once; the per-layout
// files (rsr-*.c, rsrt-*.c, i2-*.c) only see arguments that passed them.
#include "internal.h"

static const rsr_layout_traits * traits_of(rsr_layout_type type) {
    switch (type) {
        case RSR_LAYOUT_RSR:       return &rsr_traits_rsr;
        case RSR_LAYOUT_RSRT:      return &rsr_traits_rsrt;
        case RSR_LAYOUT_PACKED_I2: return &rsr_traits_i2;
        case RSR_LAYOUT_SPARSE_I2: return &rsr_traits_sparse_i2;
        default:                   return NULL;
    }
}

rsr_status rsr_layout_k_range(rsr_layout_type type, rsr_weights weights, uint32_t * k_min, uint32_t * k_max) {
    const rsr_layout_traits * t = traits_of(type);
    if (!t || (unsigned)weights >= RSR_WEIGHTS_COUNT) return RSR_ERR_ARGUMENT;
    if (!k_min || !k_max) return RSR_ERR_NULL;
    return t->k_range(weights, k_min, k_max);
}

// Fills the header a layout of these parameters has (sizes, offsets, counts).
static rsr_status plan(rsr_layout_type type, rsr_weights weights, uint32_t rows, uint32_t cols, uint32_t k,
                       rsr_layout_header * h) {
    const rsr_layout_traits * t = traits_of(type);
    if (!t || (unsigned)weights >= RSR_WEIGHTS_COUNT) return RSR_ERR_ARGUMENT;
    rsr_status s = rsr_check_dims(rows, cols);
    if (s != RSR_OK) return s;
    uint32_t k_min, k_max;
    if ((s = t->k_range(weights, &k_min, &k_max)) != RSR_OK) return s;
    if (k < k_min || k > k_max) return RSR_ERR_K_RANGE;
    memset(h, 0, sizeof *h);
    h->magic = RSR_LAYOUT_MAGIC;
    h->version = RSR_LAYOUT_VERSION;
    h->type = (uint8_t)type;
    h->weights = (uint8_t)weights;
    h->rows = rows;
    h->cols = cols;
    return t->size(weights, rows, cols, k, h);
}

rsr_status rsr_layout_size(rsr_layout_type type, rsr_weights weights, uint32_t rows, uint32_t cols,
                           uint32_t k, uint64_t * bytes) {
    if (!bytes) return RSR_ERR_NULL;
    rsr_layout_header h;
    const rsr_status s = plan(type, weights, rows, cols, k, &h);
    *bytes = s == RSR_OK ? h.bytes : 0;
    return s;
}

rsr_status rsr_check_values(rsr_weights weights, const int8_t * w, uint64_t n) {
    const int8_t lo = weights == RSR_WEIGHTS_TERNARY ? -1 : 0;
    uint8_t bad = 0;
    for (uint64_t i = 0; i < n; ++i) bad |= (uint8_t)((w[i] < lo) | (w[i] > 1));
    return bad ? RSR_ERR_VALUE : RSR_OK;
}

rsr_status rsr_layout_build(rsr_layout_type type, rsr_weights weights, const int8_t * w,
                            uint32_t rows, uint32_t cols, uint32_t k,
                            void * dst, uint64_t dst_bytes, rsr_pool * pool) {
    if (!w || !dst) return RSR_ERR_NULL;
    rsr_layout_header h;
    rsr_status s = plan(type, weights, rows, cols, k, &h);
    if (s != RSR_OK) return s;
    if (dst_bytes < h.bytes) return RSR_ERR_BUFFER;
    if ((s = rsr_check_values(weights, w, (uint64_t)rows * cols)) != RSR_OK) return s;
    uint8_t * base = dst;
    memset(base, 0, h.bytes);
    memcpy(base, &h, sizeof h);
    return traits_of(type)->build(w, (rsr_layout_header *)base, base, pool);
}

rsr_status rsr_layout_info_get(const void * layout, uint64_t bytes, rsr_layout_info * info) {
    if (!layout) return RSR_ERR_NULL;
    if (bytes < sizeof(rsr_layout_header)) return RSR_ERR_LAYOUT;
    rsr_layout_header h;
    memcpy(&h, layout, sizeof h);
    if (h.magic != RSR_LAYOUT_MAGIC || h.version != RSR_LAYOUT_VERSION) return RSR_ERR_LAYOUT;

    // A header is trusted only if it is exactly what plan() derives from its own parameters.
    rsr_layout_header expected;
    if (plan((rsr_layout_type)h.type, (rsr_weights)h.weights, h.rows, h.cols,
             h.type == RSR_LAYOUT_RSR ? h.k : 0, &expected) != RSR_OK ||
        memcmp(&expected, &h, sizeof h) != 0 || h.bytes > bytes) {
        return RSR_ERR_LAYOUT;
    }
    if (info) {
        *info = (rsr_layout_info){
            .type = (rsr_layout_type)h.type, .weights = (rsr_weights)h.weights,
            .rows = h.rows, .cols = h.cols, .k = h.k, .bytes = h.bytes,
        };
    }
    return RSR_OK;
}

rsr_status rsr_layout_validate(const void * layout, uint64_t bytes, rsr_layout_info * info) {
    rsr_layout_info local;
    rsr_status s = rsr_layout_info_get(layout, bytes, &local);
    if (s != RSR_OK) return s;
    const rsr_layout_header * h = layout;
    if ((s = traits_of(local.type)->validate(h, layout)) != RSR_OK) return s;
    if (info) *info = local;
    return RSR_OK;
}

rsr_status rsr_layout_unpack(const void * layout, uint64_t bytes, int8_t * w) {
    if (!w) return RSR_ERR_NULL;
    rsr_layout_info info;
    const rsr_status s = rsr_layout_validate(layout, bytes, &info);
    if (s != RSR_OK) return s;
    traits_of(info.type)->unpack(layout, layout, w);
    return RSR_OK;
}

rsr_status rsr_work_size(const void * layout, uint64_t layout_bytes, rsr_act act, uint32_t batch,
                         int n_threads, uint64_t * bytes) {
    if (!bytes) return RSR_ERR_NULL;
    *bytes = 0;
    if ((unsigned)act >= RSR_ACT_COUNT) return RSR_ERR_ARGUMENT;
    if (n_threads < 1 || n_threads > 256) return RSR_ERR_THREADS;
    rsr_status s = rsr_check_batch(batch);
    if (s != RSR_OK) return s;
    rsr_layout_info info;
    if ((s = rsr_layout_info_get(layout, layout_bytes, &info)) != RSR_OK) return s;
    const uint64_t need = traits_of(info.type)->work_size(layout, act, batch, n_threads);
    *bytes = need ? need + RSR_ALIGN : 0; // room to align the caller's pointer
    return RSR_OK;
}

// Checks one product's arguments and fills it in, with the kernel its pool's ISA runs.
static rsr_status prepare(const void * layout, uint64_t layout_bytes, rsr_act act, const void * x, uint32_t batch,
                          void * y, void * work, uint64_t work_bytes, rsr_pool * pool,
                          rsr_layout_info * info, rsr_product * p, rsr_product_fn * fn) {
    if (!layout || !x || !y) return RSR_ERR_NULL;
    rsr_status s = rsr_layout_info_get(layout, layout_bytes, info);
    if (s != RSR_OK) return s;
    if ((s = rsr_check_batch(batch)) != RSR_OK) return s;

    const rsr_layout_traits * t = traits_of(info->type);
    const int n_threads = rsr_pool_n(pool);
    uint64_t need = t->work_size(layout, act, batch, n_threads);
    if (need) {
        if (!work) return RSR_ERR_NULL;
        if (work_bytes < need + RSR_ALIGN) return RSR_ERR_BUFFER;
    }
    *fn = NULL;
    for (int isa = (int)rsr_pool_isa(pool); isa >= 0 && !*fn; --isa) *fn = t->product[act][isa];
    if (!*fn) return RSR_ERR_UNSUPPORTED;

    *p = (rsr_product){
        .h = layout, .base = layout, .x = x, .y = y, .batch = batch,
        .work = work ? (uint8_t *)(((uintptr_t)work + RSR_ALIGN - 1) & ~(uintptr_t)(RSR_ALIGN - 1)) : NULL,
        .pool = pool, .n_threads = n_threads,
    };
    return RSR_OK;
}

static rsr_status product(const void * layout, uint64_t layout_bytes, rsr_act act, const void * x,
                          uint32_t batch, void * y, void * work, uint64_t work_bytes, rsr_pool * pool) {
    rsr_layout_info info;
    rsr_product p;
    rsr_product_fn fn;
    const rsr_status s = prepare(layout, layout_bytes, act, x, batch, y, work, work_bytes, pool, &info, &p, &fn);
    return s != RSR_OK ? s : fn(&p);
}

rsr_status rsr_matmul_i8(const void * layout, uint64_t layout_bytes, const int8_t * x, uint32_t batch,
                         int32_t * y, void * work, uint64_t work_bytes, rsr_pool * pool) {
    return product(layout, layout_bytes, RSR_ACT_I8, x, batch, y, work, work_bytes, pool);
}

rsr_status rsr_matmul_f32(const void * layout, uint64_t layout_bytes, const float * x, uint32_t batch,
                          float * y, void * work, uint64_t work_bytes, rsr_pool * pool) {
    return product(layout, layout_bytes, RSR_ACT_F32, x, batch, y, work, work_bytes, pool);
}

rsr_status rsr_work_size_many(const void * const * layouts, const uint64_t * layout_bytes, uint32_t n, rsr_act act,
                              uint32_t batch, int n_threads, uint64_t * bytes) {
    if (!bytes || !layouts || !layout_bytes) return RSR_ERR_NULL;
    *bytes = 0;
    if (n == 0 || n > RSR_MANY_MAX) return RSR_ERR_ARGUMENT;
    uint64_t most = 0;
    for (uint32_t j = 0; j < n; ++j) {
        uint64_t b;
        const rsr_status s = rsr_work_size(layouts[j], layout_bytes[j], act, batch, n_threads, &b);
        if (s != RSR_OK) return s;
        if (b > most) most = b;
    }
    *bytes = most;
    return RSR_OK;
}

// The shared form applies to layouts of one type, input width, group size or k, and weights: NULL
// otherwise, or where the pool's ISA has none.
static rsr_products_fn shared_products(const rsr_layout_info * info, uint32_t n, rsr_isa isa) {
    if (n < 2) return NULL;
    for (uint32_t j = 1; j < n; ++j) {
        if (info[j].type != info[0].type || info[j].cols != info[0].cols || info[j].k != info[0].k ||
            info[j].weights != info[0].weights) return NULL;
    }
    switch (info[0].type) {
    case RSR_LAYOUT_RSRT: return rsrt_products_i8(isa);
    case RSR_LAYOUT_RSR: return rsr_products_i8(isa);
    case RSR_LAYOUT_PACKED_I2: return i2_products_i8(isa);
    default: return NULL;
    }
}

rsr_status rsr_matmul_i8_many(const void * const * layouts, const uint64_t * layout_bytes, uint32_t n, const int8_t * x,
                              uint32_t batch, int32_t * const * y, void * work, uint64_t work_bytes, rsr_pool * pool) {
    if (!layouts || !layout_bytes || !y) return RSR_ERR_NULL;
    if (n == 0 || n > RSR_MANY_MAX) return RSR_ERR_ARGUMENT;
    rsr_layout_info info[RSR_MANY_MAX];
    rsr_product products[RSR_MANY_MAX];
    const rsr_product * list[RSR_MANY_MAX];
    rsr_product_fn fns[RSR_MANY_MAX];
    for (uint32_t j = 0; j < n; ++j) {
        const rsr_status s = prepare(layouts[j], layout_bytes[j], RSR_ACT_I8, x, batch, y[j], work, work_bytes, pool,
                                     &info[j], &products[j], &fns[j]);
        if (s != RSR_OK) return s;
        if (info[j].cols != info[0].cols) return RSR_ERR_SHAPE;
        list[j] = &products[j];
    }
    const rsr_products_fn shared = shared_products(info, n, rsr_pool_isa(pool));
    if (shared) return shared(list, n);
    for (uint32_t j = 0; j < n; ++j) {
        const rsr_status s = fns[j](&products[j]);
        if (s != RSR_OK) return s;
    }
    return RSR_OK;
}
