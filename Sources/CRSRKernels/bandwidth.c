// bandwidth.c: the machine's memory read bandwidth, measured the way STREAM does (large buffer, all
// threads reading at once), and the last-level cache size the cold-cache benchmarks must exceed.
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct read_ctx {
    const uint8_t * buf;
    uint64_t bytes;
    bool wide;            // use 256-bit loads
    uint32_t n_tasks;
    uint64_t sink[256];
} read_ctx;

static uint64_t read_portable(const uint8_t * p, uint64_t n) {
    const uint64_t * w = (const uint64_t *)p;
    uint64_t acc[8] = { 0 };
    for (uint64_t i = 0; i < n / 8; i += 8) {
        for (int j = 0; j < 8; ++j) acc[j] ^= w[i + j];
    }
    return acc[0] ^ acc[1] ^ acc[2] ^ acc[3] ^ acc[4] ^ acc[5] ^ acc[6] ^ acc[7];
}

#if defined(__x86_64__)
#include <immintrin.h>
// Four independent 256-bit streams of loads per thread: enough to saturate DRAM from one core.
__attribute__((target("avx2"))) static uint64_t read_avx2(const uint8_t * p, uint64_t n) {
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    for (uint64_t i = 0; i < n; i += 128) {
        a = _mm256_xor_si256(a, _mm256_load_si256((const __m256i *)(p + i)));
        b = _mm256_xor_si256(b, _mm256_load_si256((const __m256i *)(p + i + 32)));
        c = _mm256_xor_si256(c, _mm256_load_si256((const __m256i *)(p + i + 64)));
        d = _mm256_xor_si256(d, _mm256_load_si256((const __m256i *)(p + i + 96)));
    }
    const __m256i x = _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
    return (uint64_t)_mm256_extract_epi64(x, 0) ^ (uint64_t)_mm256_extract_epi64(x, 3);
}
#endif

// One contiguous slice per thread: each core streams through its own region, as the kernels do.
static void read_task(void * raw, uint32_t task, int thread) {
    read_ctx * c = raw;
    const uint64_t slice = (c->bytes / c->n_tasks + 127) & ~(uint64_t)127;
    const uint64_t b0 = (uint64_t)task * slice;
    if (b0 >= c->bytes) return;
    const uint64_t n = b0 + slice < c->bytes ? slice : c->bytes - b0;
#if defined(__x86_64__)
    if (c->wide && n % 128 == 0) {
        c->sink[thread] ^= read_avx2(c->buf + b0, n);
        return;
    }
#endif
    c->sink[thread] ^= read_portable(c->buf + b0, n);
}

rsr_status rsr_read_bandwidth(const void * buf, uint64_t bytes, rsr_pool * pool, double * bytes_per_s) {
    if (!buf || !bytes_per_s) return RSR_ERR_NULL;
    if (bytes < 64 || bytes % 64 != 0 || ((uintptr_t)buf & 63) != 0) return RSR_ERR_ARGUMENT;
    read_ctx * c = calloc(1, sizeof *c);
    if (!c) return RSR_ERR_NO_MEMORY;
    c->buf = buf;
    c->bytes = bytes;
    c->wide = rsr_isa_best() >= RSR_ISA_AVX2;
    const uint32_t tasks = (uint32_t)rsr_pool_n(pool);
    c->n_tasks = tasks;
    const uint64_t t0 = rsr_time_ns();
    rsr_pool_run(pool, read_task, c, tasks);
    const uint64_t t1 = rsr_time_ns();
    volatile uint64_t sink = 0;
    for (int t = 0; t < 256; ++t) sink ^= c->sink[t];
    (void)sink;
    free(c);
    *bytes_per_s = (double)bytes / ((double)(t1 - t0) * 1e-9);
    return RSR_OK;
}

uint64_t rsr_llc_bytes(void) {
    // sysfs describes the caches this machine (or VM) actually has; glibc's sysconf can report the whole
    // socket's L3 to a VM that sees one slice of it. Take the largest cache level listed.
    uint64_t best = 0;
    for (int index = 0; index < 8; ++index) {
        char path[96];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        FILE * f = fopen(path, "r");
        if (!f) continue;
        unsigned long long n = 0;
        char unit = 0;
        if (fscanf(f, "%llu%c", &n, &unit) >= 1) {
            const uint64_t size = unit == 'K' ? n << 10 : unit == 'M' ? n << 20 : n;
            if (size > best) best = size;
        }
        fclose(f);
    }
#ifdef _SC_LEVEL3_CACHE_SIZE
    if (best == 0) {
        const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
        if (l3 > 0) best = (uint64_t)l3;
    }
#endif
    return best;
}
