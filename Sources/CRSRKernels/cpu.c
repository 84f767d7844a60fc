// cpu.c: the ISA kernels dispatch to. Detection itself is per architecture (arch/*/cpu-*.c).
#include "internal.h"

#include <stdatomic.h>

// Defined in arch/x86/cpu-x86.c or arch/arm/cpu-arm.c (scalar elsewhere).
rsr_isa rsr_isa_detect(void);

static _Atomic int isa_best = -1;

rsr_isa rsr_isa_best(void) {
    int best = atomic_load_explicit(&isa_best, memory_order_relaxed);
    if (best < 0) {
        best = (int)rsr_isa_detect();
        atomic_store_explicit(&isa_best, best, memory_order_relaxed);
    }
    return (rsr_isa)best;
}

int rsr_isa_supported(rsr_isa isa) { return (int)isa >= 0 && isa <= rsr_isa_best(); }

const char * rsr_isa_name(rsr_isa isa) {
    static const char * const names[RSR_ISA_COUNT] = { "scalar", "avx2", "avx512" };
    return (int)isa >= 0 && isa < RSR_ISA_COUNT ? names[isa] : NULL;
}
