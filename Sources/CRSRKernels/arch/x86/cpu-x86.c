// cpu-x86.c: x86-64 feature detection (CPUID plus the OS's XSAVE state for AVX and AVX-512 registers).
// A level is chosen only when every feature its kernels are compiled for (RSR_TARGET_* in simd-x86.h) is
// reported: hypervisors hide single features (BMI2, GFNI) while passing AVX2 or AVX-512 through.
#include "../../internal.h"

#define BIT(n) (1u << (n))

rsr_isa rsr_isa_x86_level(uint32_t leaf1_ecx, uint32_t leaf7_ebx, uint32_t leaf7_ecx, uint64_t xcr0) {
    const uint32_t avx2_leaf1 = BIT(12) /* fma */ | BIT(23) /* popcnt */ | BIT(27) /* osxsave */ | BIT(28) /* avx */;
    const uint32_t avx2_leaf7b = BIT(5) /* avx2 */ | BIT(8) /* bmi2 */;
    if ((leaf1_ecx & avx2_leaf1) != avx2_leaf1 || (leaf7_ebx & avx2_leaf7b) != avx2_leaf7b) return RSR_ISA_SCALAR;
    if ((xcr0 & 0x6) != 0x6) return RSR_ISA_SCALAR; // the OS saves SSE and AVX state

    const uint32_t avx512_leaf1 = BIT(29) /* f16c */;
    const uint32_t avx512_leaf7b = BIT(16) /* f */ | BIT(17) /* dq */ | BIT(30) /* bw */ | BIT(31) /* vl */;
    const uint32_t avx512_leaf7c = BIT(1) /* vbmi */ | BIT(8) /* gfni */ | BIT(11) /* vnni */;
    const bool zmm_state = (xcr0 & 0xe6) == 0xe6; // plus opmask and both halves of ZMM
    if (zmm_state && (leaf1_ecx & avx512_leaf1) == avx512_leaf1 && (leaf7_ebx & avx512_leaf7b) == avx512_leaf7b &&
        (leaf7_ecx & avx512_leaf7c) == avx512_leaf7c) {
        return RSR_ISA_AVX512;
    }
    return RSR_ISA_AVX2;
}

#if defined(__x86_64__) || defined(_M_X64)

#include <cpuid.h>
#include <stdatomic.h>

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

rsr_isa rsr_isa_detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return RSR_ISA_SCALAR;
    const uint32_t leaf1_ecx = c;
    // xgetbv faults unless the OS enabled XSAVE, so ask only then.
    if (!(leaf1_ecx & BIT(27)) || __get_cpuid_max(0, NULL) < 7) return RSR_ISA_SCALAR;
    __cpuid_count(7, 0, a, b, c, d);
    return rsr_isa_x86_level(leaf1_ecx, b, c, xgetbv0());
}

// F16C (half-float conversion) beside the AVX2 level: every AVX2 CPU known has it, but the level does not
// require it, so its kernels ask here.
bool rsr_x86_has_f16c(void) {
    static _Atomic int known = -1;
    int has = atomic_load_explicit(&known, memory_order_relaxed);
    if (has < 0) {
        unsigned a, b, c, d;
        has = __get_cpuid(1, &a, &b, &c, &d) && (c & BIT(29));
        atomic_store_explicit(&known, has, memory_order_relaxed);
    }
    return has;
}

#endif
