// argmax.c: greedy sampling's pick over a whole vocabulary. A scan that keeps the first larger value
// waits on its own compare every element (about two cycles each, 0.6 ms a step of 8 sequences over 128k
// logits); sixteen running maxima the compiler vectorizes, then a search for the first element equal to
// their maximum, give the same index at a fraction of the cost.
#include "internal.h"

#define LANES 16u

rsr_status rsr_argmax_f32(const float * x, uint64_t n, uint64_t * index) {
    if (!x || !index) return RSR_ERR_NULL;
    if (n == 0) return RSR_ERR_ARGUMENT;
    *index = 0;
    // Lanes start at x[0] and take only larger values, so NaNs never enter them, as a NaN never replaces
    // the best value of a sequential scan; a NaN x[0] is never replaced there either.
    if (x[0] != x[0]) return RSR_OK;
    float lanes[LANES];
    for (uint32_t j = 0; j < LANES; ++j) lanes[j] = x[0];
    uint64_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        for (uint32_t j = 0; j < LANES; ++j) lanes[j] = x[i + j] > lanes[j] ? x[i + j] : lanes[j];
    }
    float best = x[0];
    for (uint32_t j = 0; j < LANES; ++j) best = lanes[j] > best ? lanes[j] : best;
    for (; i < n; ++i) best = x[i] > best ? x[i] : best;
    // the first element equal to the maximum is the one a sequential scan keeps (-0 and +0 compare equal
    // there too: neither replaces the other)
    for (i = 0; i + LANES <= n; i += LANES) {
        bool any = false;
        for (uint32_t j = 0; j < LANES; ++j) any |= x[i + j] == best;
        if (any) break;
    }
    for (; i < n; ++i) {
        if (x[i] == best) break;
    }
    *index = i;
    return RSR_OK;
}
