#!/usr/bin/env bash
# Builds the CUDA backend, .build/cuda/librsr_cuda.so, with the CUDA runtime linked statically and machine
# code for sm_80, sm_86, sm_89 and sm_90 plus PTX for later GPUs, and .build/cuda/host-check, which checks
# the GPU layouts and the kernels' arithmetic on the host. Needs no GPU.
#
# nvcc is taken from $NVCC, the PATH, $CUDA_HOME or /usr/local/cuda; failing those, CUDA's compiler is
# installed from PyPI (nvidia-cuda-nvcc and friends) into a virtual environment in .build/cuda-venv.
#
#   Scripts/build-cuda.sh            build (again, when a source changed)
#   RSR_CUDA_ARCHS="90" Scripts/build-cuda.sh   only these architectures (faster; no PTX)
set -euo pipefail
cd "$(dirname "$0")/.."

out=.build/cuda
mkdir -p "$out"

find_nvcc() {
    for candidate in "${NVCC:-}" "$(command -v nvcc || true)" "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" /usr/local/cuda/bin/nvcc \
                     .build/cuda-venv/bin/nvcc; do
        if [[ -n "$candidate" && -x "$candidate" ]]; then echo "$candidate"; return 0; fi
    done
    return 1
}

if ! nvcc=$(find_nvcc); then
    echo "build-cuda: no nvcc found; installing CUDA's compiler from PyPI into .build/cuda-venv" >&2
    python3 -m venv .build/cuda-venv
    .build/cuda-venv/bin/python -m pip install --quiet --disable-pip-version-check \
        nvidia-cuda-nvcc nvidia-cuda-runtime nvidia-cuda-crt nvidia-cuda-cccl
    root=$(.build/cuda-venv/bin/python -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))')/nvidia
    bin=$(dirname "$(find "$root" -path '*/bin/nvcc' -type f | head -n 1)")
    [[ -x "$bin/nvcc" ]] || { echo "build-cuda: the PyPI packages installed no nvcc" >&2; exit 1; }
    ln -sf "$(cd "$bin" && pwd)/nvcc" .build/cuda-venv/bin/nvcc
    nvcc=.build/cuda-venv/bin/nvcc
fi
# A symlinked nvcc finds its toolkit through its real path.
nvcc=$(readlink -f "$nvcc")

archs=${RSR_CUDA_ARCHS:-"80 86 89 90"}
gencode=()
for arch in $archs; do gencode+=("-gencode=arch=compute_$arch,code=sm_$arch"); done
if [[ -z "${RSR_CUDA_ARCHS:-}" ]]; then gencode+=("-gencode=arch=compute_90,code=compute_90"); fi

# No fused multiply-adds: the forward pass rounds as the CPU path does (built with -ffp-contract=off).
flags=(-std=c++17 -O3 --fmad=false -DRSR_CUDA_BUILD -Icuda/include -Xcompiler -fPIC,-fvisibility=hidden -Xcompiler -Wall,-Wno-unknown-pragmas
       --expt-relaxed-constexpr "${gencode[@]}")

echo "build-cuda: $("$nvcc" --version | tail -n 1) for sm_${archs// /, sm_}" >&2
# objects built for other architectures are built again
if [[ "$(cat "$out/archs" 2>/dev/null)" != "${gencode[*]}" ]]; then rm -f "$out"/*.o; fi
echo "${gencode[*]}" > "$out/archs"
objects=()
pids=()
for src in cuda/src/*.cu; do
    obj="$out/$(basename "${src%.cu}").o"
    objects+=("$obj")
    if [[ ! -f "$obj" || "$src" -nt "$obj" || cuda/include/rsr_cuda.h -nt "$obj" || -n "$(find cuda/src -name '*.cuh' -newer "$obj")" ]]; then
        "$nvcc" "${flags[@]}" -c "$src" -o "$obj" &
        pids+=($!)
    fi
done
for pid in "${pids[@]}"; do wait "$pid"; done
"$nvcc" -shared -cudart static "${gencode[@]}" -o "$out/librsr_cuda.so.tmp" "${objects[@]}"
mv "$out/librsr_cuda.so.tmp" "$out/librsr_cuda.so"
# The layouts and the kernels' arithmetic, checked on the host (Tests/CUDABackendTests runs it).
"$nvcc" "${flags[@]}" -o "$out/host-check" cuda/tests/host-check.cu "$out/ternary-layouts.o" "$out/planes-layouts.o" "$out/context.o"
echo "build-cuda: $out/librsr_cuda.so" >&2
