#!/usr/bin/env bash
# The main job on a fresh machine, offline: build rsr in release mode, convert the model this repository
# ships (models/bitnet-kjv-5m, a small ternary BitNet in the microsoft/bitnet-b1.58-2B-4T layout) into an
# index file, and generate a continuation of a prompt, printing the text and the prefill and decode speeds.
#   Scripts/demo.sh ["PROMPT"] [rsr generate options...]
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/deps.sh
swift build -c release --product rsr
prompt=${1:-And God said}
shift || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.build/release/rsr convert models/bitnet-kjv-5m -o "$work/bitnet-kjv-5m.rsr"
# greedy with transformers' repetition penalty: a 5M-parameter model otherwise loops on its favourite verse
printf '%s' "$prompt"
.build/release/rsr generate "$work/bitnet-kjv-5m.rsr" -p "$prompt" -n 96 --repetition-penalty 1.3 "$@"
