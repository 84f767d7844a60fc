// planes-layouts.cu: checking integer weights, building their bit-plane codes on the host, and uploading them.
#include "planes.cuh"

#include <stdlib.h>
#include <string.h>
#include <vector>

uint64_t planes_codes_bytes(uint32_t rows, uint32_t cols, uint32_t bits) {
    return (uint64_t)planes_chunks(cols) * rows * planes_row_bytes(bits);
}

static uint32_t group_count(const rsr_cuda_integer * w, uint32_t cols) { return div_up(cols, w->group < cols ? w->group : cols); }

rsr_cuda_status planes_check(const rsr_cuda_integer * w, uint32_t rows, uint32_t cols) {
    if (!w || !w->codes || !w->scales) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "integer weights lack codes or scales");
    if (rows == 0 || cols == 0 || rows > (1u << 22) || cols > (1u << 22)) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "a %ux%u projection: rows and cols must be 1 to 4194304", rows, cols);
    }
    if (w->bits < 1 || w->bits > PLANES_MAX_BITS) return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "integer weights of %u bits: 1 to 8 are supported", w->bits);
    if (w->group == 0 || (w->group < cols && w->group % PLANES_TABLE_COLS)) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "scale groups of %u columns: a multiple of 8, or the %u columns of a row", w->group, cols);
    }
    const uint64_t group = w->group < cols ? w->group : align_up(cols, PLANES_TABLE_COLS);
    // |2 sum (u - z) x| <= 2 * group * 128 * (2^bits - 1) must fit an int32, as on the CPU
    if (group * 256 * ((1u << w->bits) - 1) > INT32_MAX) {
        return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "scale groups of %llu columns of %u bits could overflow int32 sums",
                             (unsigned long long)group, w->bits);
    }
    const uint32_t n_groups = group_count(w, cols);
    if (w->zeros) {
        for (uint64_t i = 0; i < (uint64_t)rows * n_groups; ++i) {
            if (w->zeros[i] >> w->bits) {
                return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "zero point %llu is %u; %u-bit codes end at %u",
                                     (unsigned long long)i, w->zeros[i], w->bits, (1u << w->bits) - 1);
            }
        }
    }
    if (w->perm) {
        std::vector<bool> seen(cols, false);
        for (uint32_t c = 0; c < cols; ++c) {
            if (w->perm[c] >= cols || seen[w->perm[c]]) {
                return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "column permutation entry %u (%u) is not a permutation of %u columns", c,
                                     w->perm[c], cols);
            }
            seen[w->perm[c]] = true;
        }
    }
    return RSR_CUDA_OK;
}

rsr_cuda_status planes_codes_build(const rsr_cuda_integer * w, uint32_t rows, uint32_t cols, uint8_t * dst) {
    RSR_TRY(planes_check(w, rows, cols));
    const uint32_t bits = w->bits, row_bytes = planes_row_bytes(bits);
    memset(dst, 0, planes_codes_bytes(rows, cols, bits));
    for (uint32_t r = 0; r < rows; ++r) {
        const uint8_t * u = w->codes + (uint64_t)r * cols;
        for (uint32_t c = 0; c < cols; ++c) {
            if (u[c] >> bits) {
                return rsr_cuda_fail(RSR_CUDA_ERR_ARGUMENT, "code (%u, %u) is %u; %u-bit codes end at %u", r, c, u[c], bits,
                                     (1u << bits) - 1);
            }
            const uint32_t chunk = c / PLANES_CHUNK_COLS, t = c % PLANES_CHUNK_COLS / PLANES_TABLE_COLS, j = c % PLANES_TABLE_COLS;
            uint8_t * bytes = dst + ((uint64_t)chunk * rows + r) * row_bytes + t * bits;
            for (uint32_t i = 0; i < bits; ++i) bytes[i] |= (uint8_t)((u[c] >> i & 1u) << j);
        }
    }
    return RSR_CUDA_OK;
}

template <class T>
static rsr_cuda_status upload_array(T ** device, const T * host, uint64_t count, const char * what) {
    *device = nullptr;
    if (!host) return RSR_CUDA_OK;
    CUDA_TRY(cudaMalloc((void **)device, count * sizeof(T)), what);
    CUDA_TRY(cudaMemcpy(*device, host, count * sizeof(T), cudaMemcpyHostToDevice), what);
    return RSR_CUDA_OK;
}

static rsr_cuda_status upload_planes(const rsr_cuda_integer * w, uint32_t rows, uint32_t cols, gpu_planes * out) {
    const uint64_t code_bytes = planes_codes_bytes(rows, cols, w->bits);
    std::vector<uint8_t> codes(code_bytes);
    RSR_TRY(planes_codes_build(w, rows, cols, codes.data()));
    const uint64_t scales = (uint64_t)rows * out->n_groups;
    RSR_TRY(upload_array(&out->codes, codes.data(), code_bytes, "uploading bit-planes"));
    RSR_TRY(upload_array(&out->scales, w->scales, scales, "uploading group scales"));
    RSR_TRY(upload_array(&out->zeros, w->zeros, scales, "uploading zero points"));
    RSR_TRY(upload_array(&out->perm, w->perm, cols, "uploading a column permutation"));
    // the copies may still be in flight on the default stream when they return; codes is freed next
    CUDA_TRY(cudaDeviceSynchronize(), "uploading bit-planes");
    out->bytes = code_bytes + scales * (sizeof(float) + (w->zeros ? 1 : 0));
    return RSR_CUDA_OK;
}

rsr_cuda_status gpu_planes_create(const rsr_cuda_integer * w, uint32_t rows, uint32_t cols, gpu_planes * out) {
    memset(out, 0, sizeof *out);
    RSR_TRY(planes_check(w, rows, cols));
    out->rows = rows;
    out->cols = cols;
    out->bits = w->bits;
    out->group = w->group < cols ? w->group : cols;
    out->n_groups = group_count(w, cols);
    const rsr_cuda_status s = upload_planes(w, rows, cols, out);
    if (s != RSR_CUDA_OK) gpu_planes_free(out);
    return s;
}

void gpu_planes_free(gpu_planes * p) {
    if (!p) return;
    cudaFree(p->codes);
    cudaFree(p->scales);
    cudaFree(p->zeros);
    cudaFree(p->perm);
    p->codes = nullptr;
    p->scales = nullptr;
    p->zeros = nullptr;
    p->perm = nullptr;
}

uint64_t planes_scratch_bytes(const gpu_planes & p, uint32_t batch) {
    const uint64_t x = p.perm ? align_up((uint64_t)batch * quantized_stride(p.cols), 256) : 0;
    return x + align_up((uint64_t)batch * p.n_groups * 4, 256) + (uint64_t)batch * p.rows * p.n_groups * 4;
}

gpu_planes_scratch planes_scratch_at(const gpu_planes & p, uint32_t batch, void * base) {
    uint8_t * at = (uint8_t *)base;
    gpu_planes_scratch s = {};
    if (p.perm) {
        s.x = (int8_t *)at;
        at += align_up((uint64_t)batch * quantized_stride(p.cols), 256);
    }
    s.x_sums = (int32_t *)at;
    at += align_up((uint64_t)batch * p.n_groups * 4, 256);
    s.q = (int32_t *)at;
    return s;
}
