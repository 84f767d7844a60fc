// profile.cuh: where a forward pass's GPU time goes, stage by stage, when the environment sets
// RSR_CUDA_PROFILE. The decode step then runs launch by launch instead of as a graph, behind a short wait
// on the GPU that lets the host queue the whole step first, so that the time between two stages' events is
// the GPU's and not the host's. The tables go to stderr when the model is freed.
#pragma once

#include <cuda_runtime.h>
#include <stdint.h>

struct gpu_profile;

// NULL unless RSR_CUDA_PROFILE is set (to anything but "0").
gpu_profile * profile_from_environment(void);
// Starts timing a forward pass of `tokens` tokens.
void profile_begin(gpu_profile * p, uint32_t tokens, cudaStream_t stream);
// The stage that ends here (launched since the previous mark); nothing when p is NULL.
void profile_mark(gpu_profile * p, const char * stage, cudaStream_t stream);
// After the stream has synchronised: adds the pass's stages to the decode or prefill table.
void profile_end(gpu_profile * p);
// Prints both tables to stderr and frees p (NULL is fine).
void profile_finish(gpu_profile * p);
