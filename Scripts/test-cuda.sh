#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: builds the CUDA backend with that machine's nvcc, checks every GPU kernel
# against the CPU kernels bit for bit (rsr bench cuda), and checks that `rsr generate --backend cuda` gives
# the fixtures' greedy ids as the CPU backend does (Scripts/check_fixture_ids.py).
#
#   Scripts/test-cuda.sh [RSR] [FIXTURES]     defaults: .build/release/rsr and Tests/Fixtures
#
# rsr needs no GPU to build: where the GPU machine has no Swift, build it elsewhere with
# `swift build -c release --static-swift-stdlib` and bring the shared libraries `ldd` finds missing
# (libcurl, OpenBLAS) in a folder named by LD_LIBRARY_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
rsr=${1:-.build/release/rsr}
fixtures=${2:-Tests/Fixtures}

Scripts/build-cuda.sh
.build/cuda/host-check
export RSR_CUDA_LIBRARY=$PWD/.build/cuda/librsr_cuda.so
export RSR_CACHE=${RSR_CACHE:-$(mktemp -d)}
"$rsr" bench cuda --shapes 2560x2560,6912x2560 --batch 1,17 --runs 20
python3 Scripts/check_fixture_ids.py "$rsr" "$fixtures"
