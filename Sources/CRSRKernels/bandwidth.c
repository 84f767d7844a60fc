// bandwidth.c: the machine's memory read bandwidth, measured the way STREAM does (large buffer, all
// threads reading at once), and the last-level cache size the cold-cache benchmarks must exceed.
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CHUNK (256u * 1024u)

typedef struct read_ctx {
    const uint64_t * buf;
    uint64_t words;
    uint64_t sink[256];
} read_ctx;

static void read_task(void * raw, uint32_t task, int thread) {
    read_ctx * c = raw;
    const uint64_t w0 = (uint64_t)task * (CHUNK / 8);
    const uint64_t w1 = w0 + CHUNK / 8 < c->words ? w0 + CHUNK / 8 : c->words;
    uint64_t acc[8] = { 0 };
    for (uint64_t i = w0; i < w1; i += 8) {
        for (int j = 0; j < 8; ++j) acc[j] ^= c->buf[i + j];
    }
    c->sink[thread] ^= acc[0] ^ acc[1] ^ acc[2] ^ acc[3] ^ acc[4] ^ acc[5] ^ acc[6] ^ acc[7];
}

rsr_status rsr_read_bandwidth(const void * buf, uint64_t bytes, rsr_pool * pool, double * bytes_per_s) {
    if (!buf || !bytes_per_s) return RSR_ERR_NULL;
    if (bytes < 64 || bytes % 64 != 0 || ((uintptr_t)buf & 63) != 0) return RSR_ERR_ARGUMENT;
    read_ctx * c = calloc(1, sizeof *c);
    if (!c) return RSR_ERR_NO_MEMORY;
    c->buf = buf;
    c->words = bytes / 8;
    const uint32_t tasks = (uint32_t)((bytes + CHUNK - 1) / CHUNK);
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
#ifdef _SC_LEVEL3_CACHE_SIZE
    const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 > 0) return (uint64_t)l3;
#endif
    // Highest cache level listed in sysfs (size like "32768K").
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
    return best;
}
