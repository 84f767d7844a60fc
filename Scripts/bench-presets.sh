#!/usr/bin/env bash
# Speedup tables for every ternary `rsr synth` preset: synthesizes each model at its real shapes, converts it once,
# then runs `rsr bench generate` on all of them (rsr's layouts and every baseline, 1 and 2 threads).
#   Scripts/bench-presets.sh [OUT_DIR] [extra rsr bench generate options...]
# Writes OUT_DIR/generate.md and OUT_DIR/speedup.svg. Needs about 30 GB of disk for the converted models.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/bench}
shift || true
work=${RSR_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rsr/bench}
presets=${RSR_BENCH_PRESETS:-"bitnet-large bitnet-2b4t bitnet-3b llama3-8b-1.58 falcon3-1b-1.58 falcon3-3b-1.58 falcon3-7b-1.58 falcon3-10b-1.58"}
swift build -c release --product rsr >/dev/null
rsr=.build/release/rsr
mkdir -p "$work" "$out"
models=()
for preset in $presets; do
    if [ ! -f "$work/$preset.rsr" ]; then
        "$rsr" synth --preset "$preset" -o "$work/$preset"
        "$rsr" convert "$work/$preset" -o "$work/$preset.rsr"
        rm -rf "${work:?}/$preset"
    fi
    models+=("$work/$preset.rsr")
done
"$rsr" bench generate "${models[@]}" --format md --plot "$out/speedup.svg" "$@" | tee "$out/generate.md"
echo "wrote $out/generate.md and $out/speedup.svg"
