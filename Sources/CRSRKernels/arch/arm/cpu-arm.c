// cpu-arm.c: non-x86 targets run the portable kernels.
#if !(defined(__x86_64__) || defined(_M_X64))

#include "../../internal.h"

rsr_isa rsr_isa_detect(void) { return RSR_ISA_SCALAR; }

#endif
