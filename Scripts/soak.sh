#!/usr/bin/env bash
# Soak: 1,000 generations (mixed prompt and reply lengths, greedy and sampled) in one process on the default
# model, through the library API; fails if resident memory after warm-up peaks more than 5% above its peak
# during warm-up, or open file descriptors change. Usage: Scripts/soak.sh [RUNS] (default 1000); prints the JSON report.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000}
swift build -c release --product rsr >&2
swift build -c release --product rsr-soak >&2
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/rsr" convert models/bitnet-kjv-5m -o "$work/model.rsr" --quiet >&2
"$bin/rsr-soak" "$work/model.rsr" --runs "$runs" --warmup 300 --threads 2 --max-growth 0.05
