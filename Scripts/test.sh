#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for building rsr, then runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/deps.sh
# The Python references the tests compare with: transformers, torch and accelerate run the models, tokenizers,
# sentencepiece and jinja2 check tokenizers and chat templates, huggingface_hub and safetensors the cache and
# file formats, and OpenAI's own client talks to rsr serve. They are required: RSR_REQUIRE_REFERENCES makes a
# missing one fail the run rather than skip the comparisons that need it.
python3 -m pip install --quiet --disable-pip-version-check \
    huggingface_hub safetensors numpy tokenizers jinja2 sentencepiece protobuf torch transformers accelerate openai
export RSR_REQUIRE_REFERENCES=1
# The CUDA backend must compile everywhere (nvcc from PyPI where no toolkit is installed); without a GPU its
# tests check the loader's error paths against this library.
Scripts/build-cuda.sh
export RSR_REQUIRE_CUDA_LIBRARY=1
# Every fuzz target for 10 s on its seeds and past findings (docs/RELIABILITY.md, "Fuzzing").
Scripts/fuzz-smoke.sh
swift build --build-tests
swift test --skip-build "$@"
