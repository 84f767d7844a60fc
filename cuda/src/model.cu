// model.cu: a whole model on the GPU: upload, the forward pass of a batch of tokens, and the decode step
// captured in a CUDA graph.
#include "ops.cuh"
#include "planes.cuh"
#include "profile.cuh"
#include "ternary.cuh"

#include <math.h>
#include <map>
#include <stdlib.h>
#include <string.h>
#include <utility>

struct gpu_linear {
    gpu_projection p;     // decode (one token)
    gpu_projection batch; // prefill, when AUTO picked rsr-t for decode: packed-i2, which reuses weight loads across tokens
    gpu_planes planes;    // integer weights instead (codes not NULL)
    float scale;
    int divide;
    float * bias;       // device or NULL
    float * input_norm; // device or NULL
};

struct gpu_block {
    float * input_norm, * post_attention_norm, * attention_sub_norm, * mlp_sub_norm;
    gpu_linear linears[RSR_CUDA_PROJECTIONS];
    float * cache_k, * cache_v;
};

struct rsr_cuda_model {
    rsr_cuda_context * ctx;
    rsr_cuda_model_desc d;     // dimensions; pointers in it are the caller's and not used after create
    rsr_cuda_tensor embeddings, head;
    void * embeddings_data, * head_data; // device (the same buffer when tied)
    float * final_norm, * cos_table, * sin_table;
    gpu_block * blocks;
    // activations, max_batch rows each
    float * hidden, * normed, * linear_input, * q, * k, * v, * attention, * gate, * up, * scores, * logits;
    gpu_quantized x;
    int32_t * products;
    void * planes_scratch;              // the largest bit-plane product's, for max_batch rows
    int32_t * tokens, * pos;            // device
    int32_t * host_tokens, * host_pos;  // pinned
    float * host_logits;                // pinned
    uint32_t positions;
    cudaGraphExec_t decode_graph;
    gpu_profile * profile;              // NULL unless RSR_CUDA_PROFILE is set
    uint32_t kernel_counts[RSR_CUDA_KERNELS];
    uint64_t weight_bytes_per_token;
};

// ---- sizes -------------------------------------------------------------------------------------------

static uint32_t max_cols(const rsr_cuda_model_desc & d) { // check_desc bounds heads * head_dim
    uint32_t m = d.hidden > d.heads * d.head_dim ? d.hidden : d.heads * d.head_dim;
    return m > d.intermediate ? m : d.intermediate;
}

static rsr_cuda_status dense_bytes(const rsr_cuda_tensor & t, const char * name, uint64_t * bytes) {
    const uint64_t n = (uint64_t)t.rows * t.cols;
    switch (t.type) {
    case RSR_CUDA_DTYPE_F32: *bytes = n * 4; break;
    case RSR_CUDA_DTYPE_F16: case RSR_CUDA_DTYPE_BF16: *bytes = n * 2; break;
    case RSR_CUDA_DTYPE_Q8_ROW: *bytes = align_up(n, 64) + (uint64_t)t.rows * 4; break;
    case RSR_CUDA_DTYPE_Q4_32:
        if (t.cols % 32) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "%s: Q4_32 needs a multiple of 32 columns, not %u", name, t.cols);
        *bytes = n / 32 * 18;
        break;
    case RSR_CUDA_DTYPE_Q6_256:
        if (t.cols % 256) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "%s: Q6_256 needs a multiple of 256 columns, not %u", name, t.cols);
        *bytes = n / 256 * 210;
        break;
    default: return rsr_cuda_fail(RSR_CUDA_ERR_UNSUPPORTED, "%s: dense type %d is not supported", name, (int)t.type);
    }
    if (!t.data || t.bytes < *bytes) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "%s: %ux%u of type %d needs %llu bytes, %llu given", name, t.rows, t.cols,
                             (int)t.type, (unsigned long long)*bytes, (unsigned long long)t.bytes);
    }
    return RSR_CUDA_OK;
}

static void projection_shape(const rsr_cuda_model_desc & d, int which, uint32_t * rows, uint32_t * cols) {
    const uint32_t q = d.heads * d.head_dim, kv = d.kv_heads * d.head_dim;
    const uint32_t shapes[RSR_CUDA_PROJECTIONS][2] = {
        { q, d.hidden }, { kv, d.hidden }, { kv, d.hidden }, { d.hidden, q },
        { d.intermediate, d.hidden }, { d.intermediate, d.hidden }, { d.hidden, d.intermediate },
    };
    *rows = shapes[which][0];
    *cols = shapes[which][1];
}

static rsr_cuda_status check_desc(const rsr_cuda_model_desc * d) {
    if (!d) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "the model description is NULL");
    if (!d->vocab || !d->hidden || !d->intermediate || !d->layers || !d->heads || !d->kv_heads || !d->head_dim ||
        !d->capacity || !d->max_batch) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "a model dimension is zero");
    }
    if (d->heads % d->kv_heads) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "%u heads do not share %u KV heads evenly", d->heads, d->kv_heads);
    if (d->head_dim % 2 || d->head_dim > 256) {
        return rsr_cuda_fail(RSR_CUDA_ERR_UNSUPPORTED, "head_dim %u: the CUDA backend takes even head sizes up to 256", d->head_dim);
    }
    if (d->max_batch > 4096 || d->capacity > (1u << 22)) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "max_batch or capacity is too large");
    if (d->hidden > (1u << 22) || d->intermediate > (1u << 22) || (uint64_t)d->heads * d->head_dim > (1u << 22) || d->vocab > (1u << 28)) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "a model dimension is out of range");
    }
    if (!d->inv_freq || !d->final_norm || !d->blocks) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "the model description lacks a tensor");
    if (d->embeddings.rows != d->vocab || d->embeddings.cols != d->hidden || d->head.rows != d->vocab || d->head.cols != d->hidden) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "the embeddings and head must be %ux%u", d->vocab, d->hidden);
    }
    if (d->kernel != RSR_CUDA_KERNEL_AUTO && d->kernel != RSR_CUDA_KERNEL_RSRT && d->kernel != RSR_CUDA_KERNEL_PACKED_I2) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "kernel %d is not a CUDA kernel", (int)d->kernel);
    }
    uint64_t bytes;
    RSR_TRY(dense_bytes(d->embeddings, "embeddings", &bytes));
    RSR_TRY(dense_bytes(d->head, "head", &bytes));
    for (uint32_t l = 0; l < d->layers; ++l) {
        const rsr_cuda_block & b = d->blocks[l];
        if (!b.input_norm || !b.post_attention_norm) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "layer %u lacks a norm", l);
        for (int i = 0; i < RSR_CUDA_PROJECTIONS; ++i) {
            uint32_t rows, cols;
            projection_shape(*d, i, &rows, &cols);
            const rsr_cuda_projection & p = b.projections[i];
            if (!p.weights == !p.integer || p.rows != rows || p.cols != cols) {
                return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "layer %u projection %d is %ux%u with %s; the model needs %ux%u and one kind of weights",
                                     l, i, p.rows, p.cols, p.weights && p.integer ? "two kinds of weights" : p.weights || p.integer ? "weights" : "no weights",
                                     rows, cols);
            }
            if (p.integer) RSR_TRY(planes_check(p.integer, rows, cols));
        }
    }
    return RSR_CUDA_OK;
}

extern "C" rsr_cuda_status rsr_cuda_model_size(const rsr_cuda_model_desc * d, uint64_t * bytes) {
    rsr_cuda_clear_error();
    RSR_TRY(check_desc(d));
    if (!bytes) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_model_size: bytes is NULL");
    uint64_t total = 0, t;
    dense_bytes(d->embeddings, "embeddings", &t);
    total += t;
    if (d->head.data != d->embeddings.data) {
        dense_bytes(d->head, "head", &t);
        total += t;
    }
    const uint64_t q = (uint64_t)d->heads * d->head_dim, kv = (uint64_t)d->kv_heads * d->head_dim, n = d->max_batch;
    uint64_t scratch = 0;
    for (uint32_t l = 0; l < d->layers; ++l) {
        for (int i = 0; i < RSR_CUDA_PROJECTIONS; ++i) {
            const rsr_cuda_projection & p = d->blocks[l].projections[i];
            if (p.integer) {
                gpu_planes shape = {};
                shape.rows = p.rows;
                shape.cols = p.cols;
                shape.n_groups = div_up(p.cols, p.integer->group < p.cols ? p.integer->group : p.cols);
                shape.perm = (uint32_t *)p.integer->perm; // only whether there is one
                const uint64_t s = planes_scratch_bytes(shape, d->max_batch);
                scratch = s > scratch ? s : scratch;
                total += planes_codes_bytes(p.rows, p.cols, p.integer->bits) + (uint64_t)p.rows * shape.n_groups * 5 + (uint64_t)p.cols * 4;
                continue;
            }
            const uint64_t i2 = ternary_layout_bytes(RSR_CUDA_KERNEL_PACKED_I2, p.rows, p.cols); // AUTO may keep both layouts
            const uint64_t rsrt = ternary_layout_bytes(RSR_CUDA_KERNEL_RSRT, p.rows, p.cols);
            total += d->kernel == RSR_CUDA_KERNEL_AUTO ? i2 + rsrt : d->kernel == RSR_CUDA_KERNEL_RSRT ? rsrt : i2;
        }
    }
    total += scratch;
    total += (uint64_t)d->layers * (2 * kv * d->capacity * 4 + (4 * d->hidden + q + 2 * d->intermediate) * 4);
    total += (uint64_t)d->capacity * d->head_dim * 4; // rope tables
    total += n * (2 * d->hidden + 2 * max_cols(*d) + q + 2 * kv + q + 2 * d->intermediate) * 4; // activations
    total += n * d->heads * d->capacity * 4;                                                     // attention scores
    total += n * (quantized_stride(max_cols(*d)) + 8 + 4 * max_cols(*d));                      // int8 rows, products
    total += (uint64_t)d->vocab * 4 + (64u << 20);                                               // logits, CUDA's own
    *bytes = total;
    return RSR_CUDA_OK;
}

// ---- upload ------------------------------------------------------------------------------------------

template <class T>
static rsr_cuda_status device_alloc(T ** p, uint64_t count, const char * what) {
    CUDA_TRY(cudaMalloc((void **)p, count * sizeof(T) + 16), what); // + 16: whole-word reads at the end
    return RSR_CUDA_OK;
}

template <class T>
static rsr_cuda_status upload(T ** p, const void * host, uint64_t bytes, const char * what) {
    if (!host) {
        *p = nullptr;
        return RSR_CUDA_OK;
    }
    CUDA_TRY(cudaMalloc((void **)p, bytes), what);
    CUDA_TRY(cudaMemcpy(*p, host, bytes, cudaMemcpyHostToDevice), what);
    return RSR_CUDA_OK;
}

extern "C" void rsr_cuda_model_free(rsr_cuda_model * m) {
    if (!m) return;
    cudaSetDevice(m->ctx->device);
    cudaStreamSynchronize(m->ctx->stream);
    if (m->decode_graph) cudaGraphExecDestroy(m->decode_graph);
    profile_finish(m->profile);
    if (m->blocks) {
        for (uint32_t l = 0; l < m->d.layers; ++l) {
            gpu_block & b = m->blocks[l];
            for (void * p : { (void *)b.input_norm, (void *)b.post_attention_norm, (void *)b.attention_sub_norm,
                              (void *)b.mlp_sub_norm, (void *)b.cache_k, (void *)b.cache_v }) {
                cudaFree(p);
            }
            for (gpu_linear & lin : b.linears) {
                gpu_projection_free(&lin.p);
                gpu_projection_free(&lin.batch);
                gpu_planes_free(&lin.planes);
                cudaFree(lin.bias);
                cudaFree(lin.input_norm);
            }
        }
        free(m->blocks);
    }
    if (m->head_data != m->embeddings_data) cudaFree(m->head_data);
    for (void * p : { m->embeddings_data, (void *)m->final_norm, (void *)m->cos_table, (void *)m->sin_table, (void *)m->hidden,
                      (void *)m->normed, (void *)m->linear_input, (void *)m->q, (void *)m->k, (void *)m->v,
                      (void *)m->attention, (void *)m->gate, (void *)m->up, (void *)m->scores, (void *)m->logits,
                      (void *)m->x.q, (void *)m->x.scales, (void *)m->x.sums, (void *)m->products, m->planes_scratch, (void *)m->tokens,
                      (void *)m->pos }) {
        cudaFree(p);
    }
    cudaFreeHost(m->host_tokens);
    cudaFreeHost(m->host_pos);
    cudaFreeHost(m->host_logits);
    free(m);
}

// Uploads every layer; *scratch_bytes: the largest bit-plane product's scratch.
static rsr_cuda_status upload_blocks(rsr_cuda_model * m, const rsr_cuda_model_desc * d, uint64_t * scratch_bytes) {
    m->blocks = (gpu_block *)calloc(d->layers, sizeof(gpu_block));
    if (!m->blocks) return rsr_cuda_fail(RSR_CUDA_ERR_OUT_OF_MEMORY, "out of host memory");
    const uint64_t q = (uint64_t)d->heads * d->head_dim, kv = (uint64_t)d->kv_heads * d->head_dim;
    std::map<std::pair<uint32_t, uint32_t>, rsr_cuda_kernel> picked; // per shape
    for (uint32_t l = 0; l < d->layers; ++l) {
        const rsr_cuda_block & src = d->blocks[l];
        gpu_block & b = m->blocks[l];
        RSR_TRY(upload(&b.input_norm, src.input_norm, d->hidden * 4, "uploading norms"));
        RSR_TRY(upload(&b.post_attention_norm, src.post_attention_norm, d->hidden * 4, "uploading norms"));
        RSR_TRY(upload(&b.attention_sub_norm, src.attention_sub_norm, q * 4, "uploading norms"));
        RSR_TRY(upload(&b.mlp_sub_norm, src.mlp_sub_norm, (uint64_t)d->intermediate * 4, "uploading norms"));
        RSR_TRY(device_alloc(&b.cache_k, kv * d->capacity, "allocating the KV cache"));
        RSR_TRY(device_alloc(&b.cache_v, kv * d->capacity, "allocating the KV cache"));
        for (int i = 0; i < RSR_CUDA_PROJECTIONS; ++i) {
            const rsr_cuda_projection & p = src.projections[i];
            gpu_linear & lin = b.linears[i];
            lin.scale = p.scale;
            lin.divide = p.divide;
            RSR_TRY(upload(&lin.bias, p.bias, (uint64_t)p.rows * 4, "uploading a bias"));
            RSR_TRY(upload(&lin.input_norm, p.input_norm, (uint64_t)p.cols * 4, "uploading an input norm"));
            if (p.integer) {
                RSR_TRY(gpu_planes_create(p.integer, p.rows, p.cols, &lin.planes));
                m->kernel_counts[RSR_CUDA_KERNEL_BIT_PLANES] += 1;
                m->weight_bytes_per_token += lin.planes.bytes;
                const uint64_t scratch = planes_scratch_bytes(lin.planes, d->max_batch);
                if (scratch > *scratch_bytes) *scratch_bytes = scratch;
                continue;
            }
            rsr_cuda_kernel kernel = d->kernel;
            if (kernel == RSR_CUDA_KERNEL_AUTO) {
                auto found = picked.find({ p.rows, p.cols });
                if (found == picked.end()) {
                    RSR_TRY(ternary_pick_kernel(p.weights, p.rows, p.cols, m->ctx->stream, &kernel));
                    picked[{ p.rows, p.cols }] = kernel;
                } else {
                    kernel = found->second;
                }
            }
            RSR_TRY(gpu_projection_create(kernel, p.weights, p.rows, p.cols, &lin.p));
            m->kernel_counts[kernel] += 1;
            m->weight_bytes_per_token += lin.p.bytes;
            if (d->kernel == RSR_CUDA_KERNEL_AUTO && kernel == RSR_CUDA_KERNEL_RSRT) {
                RSR_TRY(gpu_projection_create(RSR_CUDA_KERNEL_PACKED_I2, p.weights, p.rows, p.cols, &lin.batch));
            }
        }
    }
    return RSR_CUDA_OK;
}

static rsr_cuda_status upload_model(rsr_cuda_model * m, const rsr_cuda_model_desc * d) {
    uint64_t bytes;
    dense_bytes(d->embeddings, "embeddings", &bytes);
    RSR_TRY(upload(&m->embeddings_data, d->embeddings.data, bytes, "uploading the embeddings"));
    if (d->head.data == d->embeddings.data) {
        m->head_data = m->embeddings_data;
    } else {
        dense_bytes(d->head, "head", &bytes);
        RSR_TRY(upload(&m->head_data, d->head.data, bytes, "uploading the output head"));
    }
    m->weight_bytes_per_token += bytes + (bytes / d->vocab); // the head, one embedding row (about)
    RSR_TRY(upload(&m->final_norm, d->final_norm, d->hidden * 4, "uploading the final norm"));

    // RoPE angles with the host's cosf and sinf, the functions the CPU path calls
    const uint32_t half = d->head_dim / 2;
    float * table = (float *)malloc((uint64_t)d->capacity * half * 2 * sizeof(float));
    if (!table) return rsr_cuda_fail(RSR_CUDA_ERR_OUT_OF_MEMORY, "out of host memory for RoPE tables");
    for (uint32_t p = 0; p < d->capacity; ++p) {
        for (uint32_t i = 0; i < half; ++i) {
            const float angle = (float)p * d->inv_freq[i];
            table[(uint64_t)p * half + i] = cosf(angle);
            table[((uint64_t)d->capacity + p) * half + i] = sinf(angle);
        }
    }
    const uint64_t table_bytes = (uint64_t)d->capacity * half * sizeof(float);
    rsr_cuda_status s = upload(&m->cos_table, table, table_bytes, "uploading RoPE tables");
    if (s == RSR_CUDA_OK) s = upload(&m->sin_table, table + (uint64_t)d->capacity * half, table_bytes, "uploading RoPE tables");
    free(table);
    RSR_TRY(s);

    uint64_t scratch_bytes = 0;
    RSR_TRY(upload_blocks(m, d, &scratch_bytes));
    if (scratch_bytes) CUDA_TRY(cudaMalloc(&m->planes_scratch, scratch_bytes), "allocating bit-plane scratch");

    const uint64_t n = d->max_batch, q = (uint64_t)d->heads * d->head_dim, kv = (uint64_t)d->kv_heads * d->head_dim;
    const uint64_t wide = max_cols(*d);
    RSR_TRY(device_alloc(&m->hidden, n * d->hidden, "allocating activations"));
    RSR_TRY(device_alloc(&m->normed, n * wide, "allocating activations"));
    RSR_TRY(device_alloc(&m->linear_input, n * wide, "allocating activations"));
    RSR_TRY(device_alloc(&m->q, n * q, "allocating activations"));
    RSR_TRY(device_alloc(&m->k, n * kv, "allocating activations"));
    RSR_TRY(device_alloc(&m->v, n * kv, "allocating activations"));
    RSR_TRY(device_alloc(&m->attention, n * q, "allocating activations"));
    RSR_TRY(device_alloc(&m->gate, n * d->intermediate, "allocating activations"));
    RSR_TRY(device_alloc(&m->up, n * d->intermediate, "allocating activations"));
    RSR_TRY(device_alloc(&m->scores, n * d->heads * d->capacity, "allocating attention scores"));
    RSR_TRY(device_alloc(&m->logits, d->vocab, "allocating logits"));
    m->x.stride = quantized_stride((uint32_t)wide);
    RSR_TRY(device_alloc(&m->x.q, n * m->x.stride, "allocating activations"));
    RSR_TRY(device_alloc(&m->x.scales, n, "allocating activations"));
    RSR_TRY(device_alloc(&m->x.sums, n, "allocating activations"));
    RSR_TRY(device_alloc(&m->products, n * wide, "allocating activations"));
    RSR_TRY(device_alloc(&m->tokens, n, "allocating token ids"));
    RSR_TRY(device_alloc(&m->pos, 1, "allocating the position"));
    CUDA_TRY(cudaMallocHost((void **)&m->host_tokens, n * sizeof(int32_t)), "allocating pinned memory");
    CUDA_TRY(cudaMallocHost((void **)&m->host_pos, sizeof(int32_t)), "allocating pinned memory");
    CUDA_TRY(cudaMallocHost((void **)&m->host_logits, (uint64_t)d->vocab * sizeof(float)), "allocating pinned memory");
    // pageable uploads may still be in flight on the default stream, which the context's stream does not wait for
    CUDA_TRY(cudaDeviceSynchronize(), "uploading the model");
    return RSR_CUDA_OK;
}

extern "C" rsr_cuda_status rsr_cuda_model_create(rsr_cuda_context * ctx, const rsr_cuda_model_desc * desc, rsr_cuda_model ** out) {
    rsr_cuda_clear_error();
    if (!ctx || !out) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_model_create: a pointer is NULL");
    *out = nullptr;
    uint64_t need;
    RSR_TRY(rsr_cuda_model_size(desc, &need));
    CUDA_TRY(cudaSetDevice(ctx->device), "selecting the CUDA device");
    size_t free_bytes = 0, total_bytes = 0;
    CUDA_TRY(cudaMemGetInfo(&free_bytes, &total_bytes), "reading the device's free memory");
    if (need > free_bytes) {
        return rsr_cuda_fail(RSR_CUDA_ERR_OUT_OF_MEMORY,
                             "the model needs %.2f GiB of GPU memory with a %u-position cache; %s has %.2f GiB free of %.2f",
                             need / 1073741824.0, desc->capacity, ctx->prop.name, free_bytes / 1073741824.0,
                             total_bytes / 1073741824.0);
    }
    rsr_cuda_model * m = (rsr_cuda_model *)calloc(1, sizeof *m);
    if (!m) return rsr_cuda_fail(RSR_CUDA_ERR_OUT_OF_MEMORY, "out of host memory");
    m->ctx = ctx;
    m->d = *desc;
    m->embeddings = desc->embeddings;
    m->head = desc->head;
    m->profile = profile_from_environment();
    const rsr_cuda_status s = upload_model(m, desc);
    if (s != RSR_CUDA_OK) {
        rsr_cuda_model_free(m);
        return s;
    }
    *out = m;
    return RSR_CUDA_OK;
}

extern "C" void rsr_cuda_model_reset(rsr_cuda_model * m) {
    if (m) m->positions = 0;
}

extern "C" uint32_t rsr_cuda_model_positions(const rsr_cuda_model * m) { return m ? m->positions : 0; }

extern "C" void rsr_cuda_model_kernel_counts(const rsr_cuda_model * m, uint32_t counts[RSR_CUDA_KERNELS]) {
    for (int i = 0; i < RSR_CUDA_KERNELS; ++i) counts[i] = m ? m->kernel_counts[i] : 0;
}

extern "C" uint64_t rsr_cuda_model_weight_bytes_per_token(const rsr_cuda_model * m) { return m ? m->weight_bytes_per_token : 0; }

// ---- forward -----------------------------------------------------------------------------------------

// One projection of n rows of input into out (or added to out); `quantized` says x.q already holds input.
static void project(rsr_cuda_model * m, const gpu_linear & lin, const float * input, uint32_t n, float * out, bool accumulate,
                    bool quantized, const char * stage) {
    cudaStream_t stream = m->ctx->stream;
    const bool integer = lin.planes.codes != nullptr;
    const uint32_t cols = integer ? lin.planes.cols : lin.p.cols;
    if (lin.input_norm) {
        launch_norm_quantize(input, n, cols, lin.input_norm, m->d.input_norm_eps, m->linear_input, m->x, stream);
        profile_mark(m->profile, "input norm + quantize", stream);
    } else if (!quantized) {
        launch_quantize(input, n, cols, m->x, stream);
        profile_mark(m->profile, "quantize", stream);
    }
    if (integer) {
        planes_product(lin.planes, m->x, n, planes_scratch_at(lin.planes, n, m->planes_scratch), m->x.scales, lin.bias, out,
                       accumulate, stream);
    } else {
        const gpu_epilogue rescale = { m->products, out, m->x.scales, lin.scale, lin.divide, lin.bias, accumulate };
        ternary_product(n > 1 && lin.batch.weights ? lin.batch : lin.p, m->x, n, rescale, stream);
    }
    profile_mark(m->profile, stage, stream);
}

// Whether a projection reuses the previous one's quantized input (the same input, no norm of its own).
static bool shares_input(const gpu_linear & lin) { return lin.input_norm == nullptr; }

// n tokens (device m->tokens) at positions m->pos[0]...; leaves the logits of the last in m->logits. Each
// projection's input is normed and quantized in one launch, and each product rescales its own output.
static void run_tokens(rsr_cuda_model * m, uint32_t n) {
    const rsr_cuda_model_desc & d = m->d;
    cudaStream_t stream = m->ctx->stream;
    gpu_profile * profile = m->profile;
    const uint32_t q_width = d.heads * d.head_dim;
    launch_embed(m->embeddings, m->embeddings_data, m->tokens, n, m->hidden, stream);
    profile_mark(profile, "embedding", stream);
    for (uint32_t l = 0; l < d.layers; ++l) {
        gpu_block & b = m->blocks[l];
        gpu_linear * lin = b.linears;
        launch_norm_quantize(m->hidden, n, d.hidden, b.input_norm, d.rms_norm_eps, m->normed, m->x, stream);
        profile_mark(profile, "norm + quantize", stream);
        project(m, lin[RSR_CUDA_Q], m->normed, n, m->q, false, true, "product q");
        project(m, lin[RSR_CUDA_K], m->normed, n, m->k, false, shares_input(lin[RSR_CUDA_Q]) && shares_input(lin[RSR_CUDA_K]), "product k");
        project(m, lin[RSR_CUDA_V], m->normed, n, m->v, false, shares_input(lin[RSR_CUDA_K]) && shares_input(lin[RSR_CUDA_V]), "product v");
        launch_rope_kv_store(m->q, m->k, m->v, n, d.heads, d.kv_heads, d.head_dim, m->cos_table, m->sin_table, d.capacity,
                             b.cache_k, b.cache_v, m->pos, stream);
        profile_mark(profile, "rope + cache store", stream);
        launch_attention(m->q, n, d.heads, d.kv_heads, d.head_dim, d.capacity, b.cache_k, b.cache_v, m->scores, m->attention,
                         m->pos, stream);
        profile_mark(profile, "attention", stream);
        if (b.attention_sub_norm) {
            launch_norm_quantize(m->attention, n, q_width, b.attention_sub_norm, d.rms_norm_eps, m->normed, m->x, stream);
            profile_mark(profile, "norm + quantize", stream);
        }
        project(m, lin[RSR_CUDA_O], b.attention_sub_norm ? m->normed : m->attention, n, m->hidden, true, b.attention_sub_norm, "product o");

        launch_norm_quantize(m->hidden, n, d.hidden, b.post_attention_norm, d.rms_norm_eps, m->normed, m->x, stream);
        profile_mark(profile, "norm + quantize", stream);
        project(m, lin[RSR_CUDA_GATE], m->normed, n, m->gate, false, true, "product gate");
        project(m, lin[RSR_CUDA_UP], m->normed, n, m->up, false, shares_input(lin[RSR_CUDA_GATE]) && shares_input(lin[RSR_CUDA_UP]), "product up");
        launch_glu_quantize(m->gate, m->up, n, d.intermediate, d.activation, b.mlp_sub_norm, d.rms_norm_eps, m->normed, m->x, stream);
        profile_mark(profile, "glu + norm + quantize", stream);
        project(m, lin[RSR_CUDA_DOWN], b.mlp_sub_norm ? m->normed : m->gate, n, m->hidden, true, true, "product down");
    }
    const float * last = m->hidden + (uint64_t)(n - 1) * d.hidden;
    const rsr_cuda_dtype head = m->head.type;
    if (head == RSR_CUDA_DTYPE_Q8_ROW || head == RSR_CUDA_DTYPE_Q4_32 || head == RSR_CUDA_DTYPE_Q6_256) {
        launch_norm_quantize(last, 1, d.hidden, m->final_norm, d.rms_norm_eps, m->normed, m->x, stream);
    } else {
        launch_rms_norm(last, 1, d.hidden, m->final_norm, d.rms_norm_eps, m->normed, stream);
    }
    profile_mark(profile, "final norm", stream);
    launch_head(m->head, m->head_data, m->normed, m->x, m->logits, stream);
    profile_mark(profile, "head", stream);
}

// The decode step as a graph: captured on first use, replayed with new token and position values.
static rsr_cuda_status run_decode(rsr_cuda_model * m) {
    cudaStream_t stream = m->ctx->stream;
    if (!m->decode_graph) {
        cudaGraph_t graph = nullptr;
        CUDA_TRY(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "capturing the decode step");
        run_tokens(m, 1);
        const cudaError_t ended = cudaStreamEndCapture(stream, &graph);
        if (ended != cudaSuccess) {
            cudaGetLastError();
            return rsr_cuda_fail_cuda(ended, "capturing the decode step");
        }
        if (graph == nullptr) {
            cudaGetLastError(); // clear what the failed launch left for the next call
            return rsr_cuda_fail(RSR_CUDA_ERR_CUDA, "capturing the decode step: a launch failed");
        }
        const cudaError_t e = cudaGraphInstantiate(&m->decode_graph, graph, 0);
        cudaGraphDestroy(graph);
        if (e != cudaSuccess) {
            m->decode_graph = nullptr;
            return rsr_cuda_fail_cuda(e, "instantiating the decode graph");
        }
    }
    CUDA_TRY(cudaGraphLaunch(m->decode_graph, stream), "launching the decode step");
    return RSR_CUDA_OK;
}

extern "C" rsr_cuda_status rsr_cuda_model_forward(rsr_cuda_model * m, const int32_t * tokens, uint32_t n_tokens, float * logits) {
    rsr_cuda_clear_error();
    if (!m || !tokens || !logits) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "rsr_cuda_model_forward: a pointer is NULL");
    if (n_tokens == 0) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "nothing to run: no tokens");
    if ((uint64_t)m->positions + n_tokens > m->d.capacity) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "%llu positions exceed the cache's %u",
                             (unsigned long long)m->positions + n_tokens, m->d.capacity);
    }
    for (uint32_t i = 0; i < n_tokens; ++i) {
        if (tokens[i] < 0 || (uint32_t)tokens[i] >= m->d.vocab) {
            return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "token id %d is outside the vocabulary of %u", tokens[i], m->d.vocab);
        }
    }
    CUDA_TRY(cudaSetDevice(m->ctx->device), "selecting the CUDA device");
    cudaGetLastError(); // a failure of an earlier call is not this one's
    cudaStream_t stream = m->ctx->stream;
    for (uint32_t done = 0; done < n_tokens;) {
        const uint32_t n = n_tokens - done < m->d.max_batch ? n_tokens - done : m->d.max_batch;
        // the previous step has finished reading the pinned buffers (synchronised below)
        memcpy(m->host_tokens, tokens + done, n * sizeof(int32_t));
        *m->host_pos = (int32_t)m->positions;
        CUDA_TRY(cudaMemcpyAsync(m->tokens, m->host_tokens, n * sizeof(int32_t), cudaMemcpyHostToDevice, stream), "uploading tokens");
        CUDA_TRY(cudaMemcpyAsync(m->pos, m->host_pos, sizeof(int32_t), cudaMemcpyHostToDevice, stream), "uploading the position");
        if (m->profile) {
            profile_begin(m->profile, n, stream);
            run_tokens(m, n);
            CUDA_TRY(cudaGetLastError(), "launching the forward pass");
        } else if (n == 1) {
            RSR_TRY(run_decode(m));
        } else {
            run_tokens(m, n);
            CUDA_TRY(cudaGetLastError(), "launching the forward pass");
        }
        CUDA_TRY(cudaStreamSynchronize(stream), "running the forward pass");
        profile_end(m->profile);
        m->positions += n;
        done += n;
    }
    CUDA_TRY(cudaMemcpyAsync(m->host_logits, m->logits, (uint64_t)m->d.vocab * sizeof(float), cudaMemcpyDeviceToHost, stream),
             "copying logits back");
    CUDA_TRY(cudaStreamSynchronize(stream), "copying logits back");
    memcpy(logits, m->host_logits, (uint64_t)m->d.vocab * sizeof(float));
    return RSR_CUDA_OK;
}
