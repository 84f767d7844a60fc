// simd-x86.h: target attributes for the x86 kernel files. Each file compiles its functions for one ISA
// level; the dispatcher only calls them on CPUs that have it.
#ifndef RSR_SIMD_X86_H
#define RSR_SIMD_X86_H

#include <immintrin.h>

#define RSR_TARGET_AVX2 "avx2,fma,bmi2,popcnt"
#define RSR_TARGET_AVX512 "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,gfni,avx2,fma,bmi2,popcnt"

#endif
