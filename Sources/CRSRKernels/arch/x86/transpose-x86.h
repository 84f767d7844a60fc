// transpose-x86.h: the int8 tile transposes of the batched classical RSR driver, for its x86 levels.
#ifndef RSR_TRANSPOSE_X86_H
#define RSR_TRANSPOSE_X86_H

#include "../../rsr-batch.h"

void rsr_transpose_i8_sse2(const int8_t * x, uint32_t cols, uint32_t c0, uint32_t n, uint32_t nv, uint32_t tile, uint8_t * xt);
void rsr_untranspose_i8_sse2(const int32_t * out, uint32_t tile, uint32_t n_rows, uint32_t nv, const int32_t * bias, int32_t * y,
                             uint32_t y_stride);

#endif
