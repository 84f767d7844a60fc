#!/usr/bin/env bash
# The C kernels, the thread pool, the model file reader and the CUDA loader under AddressSanitizer and
# UndefinedBehaviorSanitizer (a separate build in .build-sanitize). Any finding fails the run.
# Usage: Scripts/sanitize.sh [extra swift test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/deps.sh
[ -f .build/cuda/librsr_cuda.so ] || Scripts/build-cuda.sh
scratch=.build-sanitize
# Swift on Linux takes AddressSanitizer only; UBSan instruments the C code (the kernels), its checks served by
# the ASan runtime. -fno-sanitize-recover makes a finding stop the test.
sanitizers=(--sanitize=address -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined)
swift build --build-tests --scratch-path "$scratch" "${sanitizers[@]}"
# halt_on_error: a report fails the run at once instead of scrolling past.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
swift test --skip-build --scratch-path "$scratch" "${sanitizers[@]}" \
    --filter 'RSRCoreTests|CUDABackendTests|FileIOTests|RSRFormatTests' "$@"
