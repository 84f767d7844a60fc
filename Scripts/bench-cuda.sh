#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: the numbers of docs/BENCHMARKS.md's GPU section in one go, correctness
# first. Each step runs under its own time limit and everything it prints goes to OUT_DIR/bench-cuda.log, so
# a step that hangs or fails costs its limit and leaves the rest measured.
#
#   Scripts/bench-cuda.sh [RSR] [FIXTURES] [OUT_DIR]   defaults: .build/release/rsr, Tests/Fixtures, .build/bench-cuda
#
# With the archive of Scripts/bundle-for-gpu.sh unpacked into /tmp/rsr:
#   LD_LIBRARY_PATH=/tmp/rsr/lib RSR_CUDA_ARCHS=90 Scripts/bench-cuda.sh /tmp/rsr/rsr /tmp/rsr/fixtures
set -uo pipefail
cd "$(dirname "$0")/.."
rsr=$(realpath "${1:-.build/release/rsr}")
fixtures=$(realpath "${2:-Tests/Fixtures}")
out=${3:-.build/bench-cuda}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export RSR_CACHE=${RSR_CACHE:-$work/cache}
exec > >(tee "$out/bench-cuda.log") 2>&1

step() {
    local limit=$1
    shift
    echo "=== [$(date +%T)] $* (limit ${limit}s)"
    timeout "$limit" "$@"
    echo "=== exit $?"
}

nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.memory --format=csv
step 240 Scripts/test-cuda.sh "$rsr" "$fixtures"
export RSR_CUDA_LIBRARY=$PWD/.build/cuda/librsr_cuda.so
step 120 stdbuf -oL "$rsr" bench cuda --no-check --shapes 2560x2560,6912x2560,2560x6912 --batch 1,8,16,128,512 --runs 30
step 120 env PYTHONUNBUFFERED=1 python3 Scripts/bench_torch_gpu.py
prompt="The quick brown fox jumps over the lazy dog while the five boxing wizards jump quickly."
# the whole model, then two of its layers: the difference is what a layer costs
for layers in 30 2; do
    step 60 "$rsr" synth --preset bitnet-2b4t --layers "$layers" -o "$work/2b4t-$layers"
    step 90 "$rsr" convert "$work/2b4t-$layers" -o "$work/2b4t-$layers.rsr"
    step 60 "$rsr" generate "$work/2b4t-$layers.rsr" -p "$prompt" -n 256 --ignore-eos --backend cuda
    rm -rf "${work:?}/2b4t-$layers"
done
step 180 stdbuf -oL "$rsr" bench cuda --no-check --shapes 640x2560 --batch 1 --runs 3 --model "$work/2b4t-30.rsr"
step 180 stdbuf -oL "$rsr" bench cuda --no-check --shapes 640x2560 --batch 1 --runs 3 --model "$work/2b4t-30.rsr" --prompt 1024
# where a decoded token's GPU time goes, stage by stage (the library prints it to stderr)
step 180 env RSR_CUDA_PROFILE=1 stdbuf -oL "$rsr" bench cuda --no-check --shapes 640x2560 --batch 1 --runs 3 \
    --model "$work/2b4t-30.rsr" -n 32
echo "=== done: $out/bench-cuda.log"
