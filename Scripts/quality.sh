#!/usr/bin/env bash
# The quality of every format rsr makes of a float Llama-family checkpoint, as a markdown table: the
# checkpoint kept as stored (the reference), each output-head format, --quantize int8 ... int2 (bit-planes,
# the head kept as stored so that the rows measure the projections alone) and --quantize ternary with the
# stored and the q4 head; perplexity by `rsr eval ppl` and drift from the
# reference by `rsr eval compare`.
#   Scripts/quality.sh MODEL_DIR TEXT [CONTEXT [STRIDE]]
# CONTEXT defaults to 256, STRIDE to half of it. Converted files go to $RSR_QUALITY_DIR (default a
# temporary folder, removed at the end).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 MODEL_DIR TEXT [CONTEXT [STRIDE]]" >&2; exit 2; }
source=$1 text=$2 context=${3:-256}
stride=${4:-$((context / 2))}
cd "$(dirname "$0")/.."
swift build -c release --product rsr >/dev/null
rsr=$PWD/.build/release/rsr
work=${RSR_QUALITY_DIR:-$(mktemp -d)}
[ -n "${RSR_QUALITY_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
window=(--text "$text" --context "$context" --stride "$stride" --json)

# name | rsr convert options
formats=(
    "float (as stored)|"
    "float, f16 head|--embeddings f16"
    "float, int8 head|--embeddings int8"
    "float, q6 head|--embeddings q6"
    "float, q4 head|--embeddings q4"
    "int8, per row|--quantize int8 --group-size channel --embeddings stored"
    "int4, groups of 32|--quantize int4 --group-size 32 --embeddings stored"
    "int4, groups of 128|--quantize int4 --group-size 128 --embeddings stored"
    "int4, groups of 128, zero points|--quantize int4 --group-size 128 --asymmetric --embeddings stored"
    "int3, groups of 64|--quantize int3 --group-size 64 --embeddings stored"
    "int2, groups of 32, zero points|--quantize int2 --group-size 32 --asymmetric --embeddings stored"
    "ternary|--quantize ternary"
    "ternary, q4 head|--quantize ternary --embeddings q4"
)
echo "| format | file MB | perplexity | vs float | mean KL | p99 KL | top-1 agreement |"
echo "|---|---|---|---|---|---|---|"
for i in "${!formats[@]}"; do
    name=${formats[$i]%%|*} options=${formats[$i]#*|}
    # shellcheck disable=SC2086 # options are words
    "$rsr" convert "$source" -o "$work/$i.rsr" --force --quiet $options >/dev/null 2>&1
    megabytes=$(awk -v b="$(stat -c %s "$work/$i.rsr")" 'BEGIN { printf "%.2f", b / 1e6 }')
    if [ "$i" = 0 ]; then
        "$rsr" eval ppl "$work/0.rsr" "${window[@]}" | jq -r '.perplexity' |
            xargs printf "| $name | $megabytes | %.4f | | 0 | 0 | 100%% |\n"
    else
        "$rsr" eval compare "$work/$i.rsr" --reference "$work/0.rsr" "${window[@]}" |
            jq -r '[.perplexity, (.perplexity / .reference_perplexity - 1) * 100, .mean_kl, .p99_kl, .top1_agreement * 100] | @tsv' |
            xargs printf "| $name | $megabytes | %.4f | %+.2f%% | %.6f | %.6f | %.2f%% |\n"
    fi
done
