#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for building rsr, then runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/deps.sh
# The Python reference implementations, for the tests that check files and caches against them (those
# tests are skipped where the packages cannot be installed).
python3 -m pip install --quiet --disable-pip-version-check huggingface_hub safetensors numpy tokenizers jinja2 2>/dev/null \
    || echo "note: could not install the Python reference packages; their compatibility tests will be skipped" >&2
# The CUDA backend must compile everywhere (nvcc from PyPI where no toolkit is installed); without a GPU its
# tests check the loader's error paths against this library.
Scripts/build-cuda.sh
export RSR_REQUIRE_CUDA_LIBRARY=1
swift build --build-tests
swift test --skip-build "$@"
