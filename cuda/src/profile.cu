// profile.cu: per-stage GPU time of forward passes (profile.cuh).
#include "profile.cuh"

#include <map>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <string>
#include <vector>

#define PROFILE_EVENTS 4096u       // marks per pass; a deeper model's later stages go uncounted
#define PROFILE_LEAD_NS 20000000ull // the GPU's head start for the host: 20 ms

namespace {

struct stage_total {
    double ms = 0;
    uint64_t calls = 0;
};

struct profile_table {
    std::vector<std::string> order; // stages in the order they first ran
    std::map<std::string, stage_total> stages;
    uint64_t passes = 0, tokens = 0, dropped = 0;
};

} // namespace

struct gpu_profile {
    cudaEvent_t events[PROFILE_EVENTS];
    const char * stages[PROFILE_EVENTS];
    uint32_t created, used, tokens;
    profile_table decode, prefill;
};

__global__ void profile_wait(uint64_t ns) {
    uint64_t start, now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
    do {
        __nanosleep(1000);
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    } while (now - start < ns);
}

gpu_profile * profile_from_environment(void) {
    const char * flag = getenv("RSR_CUDA_PROFILE");
    if (!flag || !*flag || !strcmp(flag, "0")) return nullptr;
    gpu_profile * p = new gpu_profile();
    while (p->created < PROFILE_EVENTS && cudaEventCreate(&p->events[p->created]) == cudaSuccess) ++p->created;
    return p;
}

void profile_begin(gpu_profile * p, uint32_t tokens, cudaStream_t stream) {
    if (!p || !p->created) return;
    profile_wait<<<1, 1, 0, stream>>>(PROFILE_LEAD_NS);
    cudaEventRecord(p->events[0], stream);
    p->used = 1;
    p->tokens = tokens;
}

void profile_mark(gpu_profile * p, const char * stage, cudaStream_t stream) {
    if (!p || !p->used) return;
    if (p->used == p->created) {
        (p->tokens == 1 ? p->decode : p->prefill).dropped += 1;
        return;
    }
    p->stages[p->used] = stage;
    cudaEventRecord(p->events[p->used++], stream);
}

void profile_end(gpu_profile * p) {
    if (!p || !p->used) return;
    profile_table & table = p->tokens == 1 ? p->decode : p->prefill;
    for (uint32_t i = 1; i < p->used; ++i) {
        float ms = 0;
        if (cudaEventElapsedTime(&ms, p->events[i - 1], p->events[i]) != cudaSuccess) continue;
        const std::string stage = p->stages[i];
        if (!table.stages.count(stage)) table.order.push_back(stage);
        stage_total & total = table.stages[stage];
        total.ms += ms;
        total.calls += 1;
    }
    table.passes += 1;
    table.tokens += p->tokens;
    p->used = 0;
}

static void print_table(const char * name, const profile_table & table) {
    if (!table.passes) return;
    double all = 0;
    for (const auto & entry : table.stages) all += entry.second.ms;
    fprintf(stderr, "rsr_cuda profile, %s: %llu passes, %llu tokens, %.1f us per pass on the GPU\n", name,
            (unsigned long long)table.passes, (unsigned long long)table.tokens, 1e3 * all / table.passes);
    fprintf(stderr, "| stage | us per pass | launches per pass | us per launch | share |\n|---|---:|---:|---:|---:|\n");
    for (const std::string & stage : table.order) {
        const stage_total & t = table.stages.at(stage);
        fprintf(stderr, "| %s | %.1f | %.1f | %.2f | %.1f%% |\n", stage.c_str(), 1e3 * t.ms / table.passes,
                (double)t.calls / table.passes, 1e3 * t.ms / t.calls, 100 * t.ms / all);
    }
    if (table.dropped) fprintf(stderr, "(%llu marks past the first %u of a pass went uncounted)\n", (unsigned long long)table.dropped, PROFILE_EVENTS);
}

void profile_finish(gpu_profile * p) {
    if (!p) return;
    print_table("decode", p->decode);
    print_table("prefill", p->prefill);
    for (uint32_t i = 0; i < p->created; ++i) cudaEventDestroy(p->events[i]);
    delete p;
}
