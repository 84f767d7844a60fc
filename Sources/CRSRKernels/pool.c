// pool.c: a persistent thread pool. Threads pull task indices from a shared atomic counter; the caller
// takes part as thread 0. After a job, workers spin for a short while (the next product usually follows
// within microseconds) and then sleep on a condition variable.
//
// A job waits only for the workers that joined it, never for one that has not been scheduled yet: when
// another process holds a core, the caller and whoever runs finish the tasks, and the late worker finds
// the job closed. Joining is a Dekker handshake on `open` and `n_active`, both sequentially consistent.
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
static inline void cpu_relax(void) { _mm_pause(); }
#elif defined(__aarch64__)
static inline void cpu_relax(void) { __asm__ volatile("yield"); }
#else
static inline void cpu_relax(void) {}
#endif

#define RSR_MAX_THREADS 256
#define SPIN_NS 500000ull // how long an idle worker spins before it sleeps

struct rsr_pool {
    int n_threads;
    rsr_isa isa_limit;
    pthread_t * workers;

    // The current job; published by bumping `generation`.
    rsr_task_fn fn;
    void *      ctx;
    uint32_t    n_tasks;
    _Atomic uint32_t next_task;
    _Atomic bool     open;       // the job's fields may be read by a worker that joins
    _Atomic int      n_active;   // workers that joined the open job and have not left

    _Atomic uint64_t generation;
    _Atomic int      n_sleeping;
    _Atomic bool     park;       // sleep without spinning: another library is about to use the cores
    _Atomic bool     stop;
    pthread_mutex_t  mutex;
    pthread_cond_t   wake;
};

typedef struct worker_arg {
    rsr_pool * pool;
    int thread;
} worker_arg;

uint64_t rsr_time_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void run_tasks(rsr_pool * pool, int thread) {
    const uint32_t n = pool->n_tasks;
    for (;;) {
        const uint32_t task = atomic_fetch_add_explicit(&pool->next_task, 1, memory_order_relaxed);
        if (task >= n) break;
        pool->fn(pool->ctx, task, thread);
    }
}

// Waits until the generation differs from `seen` or the pool stops; returns the new generation.
static uint64_t wait_for_job(rsr_pool * pool, uint64_t seen) {
    const uint64_t spin_until = rsr_time_ns() + SPIN_NS;
    for (unsigned i = 0;; ++i) {
        const uint64_t gen = atomic_load_explicit(&pool->generation, memory_order_acquire);
        if (gen != seen || atomic_load(&pool->stop)) return gen;
        if (atomic_load_explicit(&pool->park, memory_order_relaxed)) break;
        cpu_relax();
        if ((i & 1023) == 1023 && rsr_time_ns() > spin_until) break;
    }
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add(&pool->n_sleeping, 1);
    uint64_t gen;
    while ((gen = atomic_load(&pool->generation)) == seen && !atomic_load(&pool->stop)) {
        pthread_cond_wait(&pool->wake, &pool->mutex);
    }
    atomic_fetch_sub(&pool->n_sleeping, 1);
    pthread_mutex_unlock(&pool->mutex);
    return gen;
}

static void * worker_main(void * raw) {
    worker_arg arg = *(worker_arg *)raw;
    free(raw);
    rsr_pool * pool = arg.pool;
    uint64_t seen = 0;
    for (;;) {
        seen = wait_for_job(pool, seen);
        if (atomic_load(&pool->stop)) break;
        // Joining may land in the next job when the caller reopened before bumping the generation: that
        // is safe (its fields are written before `open`), and the caller counts this worker either way.
        atomic_fetch_add(&pool->n_active, 1);
        if (atomic_load(&pool->open) && atomic_load(&pool->generation) == seen) run_tasks(pool, arg.thread);
        atomic_fetch_sub_explicit(&pool->n_active, 1, memory_order_release);
    }
    return NULL;
}

rsr_status rsr_pool_create(int n_threads, rsr_pool ** out) {
    if (!out) return RSR_ERR_NULL;
    *out = NULL;
    if (n_threads < 1 || n_threads > RSR_MAX_THREADS) return RSR_ERR_THREADS;

    rsr_pool * pool = calloc(1, sizeof *pool);
    if (!pool) return RSR_ERR_NO_MEMORY;
    pool->n_threads = n_threads;
    pool->isa_limit = RSR_ISA_COUNT - 1;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->workers = calloc((size_t)n_threads, sizeof(pthread_t));
    if (!pool->workers) {
        pool->n_threads = 1; // no worker to join
        rsr_pool_free(pool);
        return RSR_ERR_NO_MEMORY;
    }
    for (int t = 1; t < n_threads; ++t) {
        worker_arg * arg = malloc(sizeof *arg);
        if (arg) *arg = (worker_arg){ .pool = pool, .thread = t };
        if (!arg || pthread_create(&pool->workers[t], NULL, worker_main, arg) != 0) {
            const rsr_status status = arg ? RSR_ERR_THREADS : RSR_ERR_NO_MEMORY;
            free(arg);
            pool->n_threads = t; // only these were started; free joins them
            rsr_pool_free(pool);
            return status;
        }
    }
    *out = pool;
    return RSR_OK;
}

void rsr_pool_free(rsr_pool * pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, true);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int t = 1; t < pool->n_threads; ++t) pthread_join(pool->workers[t], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->workers);
    free(pool);
}

int rsr_pool_threads(const rsr_pool * pool) { return pool ? pool->n_threads : 0; }

rsr_status rsr_pool_set_isa(rsr_pool * pool, rsr_isa limit) {
    if (!pool) return RSR_ERR_NULL;
    if ((int)limit < 0 || limit >= RSR_ISA_COUNT) return RSR_ERR_ARGUMENT;
    pool->isa_limit = limit;
    return RSR_OK;
}

rsr_isa rsr_pool_isa(const rsr_pool * pool) {
    const rsr_isa best = rsr_isa_best();
    return pool && pool->isa_limit < best ? pool->isa_limit : best;
}

void rsr_pool_park(rsr_pool * pool) {
    if (pool) atomic_store_explicit(&pool->park, true, memory_order_relaxed);
}

typedef struct range_job {
    rsr_range_fn fn;
    void * ctx;
    uint64_t n, per_task;
} range_job;

static void range_task(void * raw, uint32_t task, int thread) {
    (void)thread;
    const range_job * job = raw;
    const uint64_t first = (uint64_t)task * job->per_task;
    job->fn(job->ctx, first, job->n - first < job->per_task ? job->n - first : job->per_task);
}

rsr_status rsr_pool_run_ranges(rsr_pool * pool, uint64_t n, uint64_t per_task, rsr_range_fn fn, void * ctx) {
    if (per_task == 0) return RSR_ERR_ARGUMENT;
    const uint64_t tasks = n / per_task + (n % per_task != 0);
    if (tasks > UINT32_MAX) return RSR_ERR_OVERFLOW;
    range_job job = { .fn = fn, .ctx = ctx, .n = n, .per_task = per_task };
    rsr_pool_run(pool, range_task, &job, (uint32_t)tasks);
    return RSR_OK;
}

void rsr_pool_run(rsr_pool * pool, rsr_task_fn fn, void * ctx, uint32_t n_tasks) {
    if (!pool || pool->n_threads == 1 || n_tasks <= 1) {
        for (uint32_t t = 0; t < n_tasks; ++t) fn(ctx, t, 0);
        return;
    }
    atomic_store_explicit(&pool->park, false, memory_order_relaxed);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->n_tasks = n_tasks;
    atomic_store_explicit(&pool->next_task, 0, memory_order_relaxed);
    atomic_store(&pool->open, true);
    atomic_fetch_add(&pool->generation, 1); // publishes the job (sequentially consistent)
    if (atomic_load(&pool->n_sleeping) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);
    }
    run_tasks(pool, 0);
    // Every task is claimed now; close the job and wait for the workers still running one.
    atomic_store(&pool->open, false);
    for (unsigned i = 1; atomic_load(&pool->n_active) > 0; ++i) {
        cpu_relax();
        if ((i & 4095) == 0) sched_yield(); // a worker holding a task may be waiting for this core
    }
}
