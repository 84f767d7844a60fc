// cpu-x86.c: x86-64 feature detection (CPUID plus the OS's XSAVE state for AVX and AVX-512 registers).
#if defined(__x86_64__) || defined(_M_X64)

#include "../../internal.h"

#include <cpuid.h>

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

rsr_isa rsr_isa_detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return RSR_ISA_SCALAR;
    const bool osxsave = c & (1u << 27), fma = c & (1u << 12), avx = c & (1u << 28);
    if (!osxsave || !avx || !fma) return RSR_ISA_SCALAR;

    const uint64_t xcr0 = xgetbv0();
    const bool ymm_state = (xcr0 & 0x6) == 0x6;    // SSE and AVX state
    const bool zmm_state = (xcr0 & 0xe6) == 0xe6;  // plus opmask and both halves of ZMM
    if (!ymm_state || __get_cpuid_max(0, NULL) < 7) return RSR_ISA_SCALAR;

    __cpuid_count(7, 0, a, b, c, d);
    const bool avx2 = b & (1u << 5);
    if (!avx2) return RSR_ISA_SCALAR;

    const bool f = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
    const bool vbmi = c & (1u << 1), vnni = c & (1u << 11);
    if (zmm_state && f && dq && bw && vl && vbmi && vnni) return RSR_ISA_AVX512;
    return RSR_ISA_AVX2;
}

#endif
