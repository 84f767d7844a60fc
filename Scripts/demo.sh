#!/usr/bin/env bash
# The main job on a fresh machine: build rsr in release mode and print its kernel speedup tables on the
# shapes of BitNet b1.58 2B4T's attention and MLP projections, batch 1 (decode) and 64 (prefill), then
# convert a model of that size.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/deps.sh
swift build -c release
.build/release/rsr bench kernels --shapes 2560x2560,6912x2560,2560x6912 --threads 1,2 --batch 1,64 "$@"

# Then the conversion pipeline at full size: a model with BitNet b1.58 2B4T's shapes and random weights.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.build/release/rsr synth --preset bitnet-2b4t -o "$work/bitnet-2b4t" >/dev/null
.build/release/rsr convert "$work/bitnet-2b4t" -o "$work/bitnet-2b4t.rsr"
.build/release/rsr inspect "$work/bitnet-2b4t.rsr" | sed -n 1,12p  # sed reads it all: no SIGPIPE
