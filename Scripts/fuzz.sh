#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of outside data (docs/RELIABILITY.md, "Fuzzing").
#
#   Scripts/fuzz.sh [SECONDS] [TARGET...]     default: 60 seconds each, every target
#
# Builds the fuzz targets (Fuzz/<target>) with libFuzzer and AddressSanitizer into .build-fuzz (the rsr
# executable is not built there), then fuzzes each for SECONDS on its corpus, starting from the seeds in
# Fuzz/Corpus/<target>. New inputs go to .build-fuzz/corpus/<target> (never committed); a crash, a hang
# (-timeout) or runaway memory (-rss_limit_mb) is written to .build-fuzz/findings/<target>/ and counted.
# Prints one summary line per target; exits 1 when any target had a finding.
#
# Seeds named open-* are inputs of findings not fixed yet (docs/RELIABILITY.md lists them): they are left
# out, so that a run reports what is new, unless FUZZ_OPEN=1. Once fixed, such a seed is renamed fixed-*
# and runs every time, as a regression input.
#
# Environment: FUZZ_JOBS (parallel fuzzing processes per target, default 1), FUZZ_ARGS (more libFuzzer flags),
# FUZZ_SKIP_BUILD=1 (reuse the binaries already in .build-fuzz), FUZZ_OPEN=1 (include the open-* seeds).
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[[ $# -gt 0 ]] && shift
all=(FuzzSafeTensors FuzzModelFile FuzzModelConfig FuzzTokenizer FuzzTokenizerText FuzzChatTemplate FuzzHubInfo FuzzEvalText)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all[@]}")

# Per target, the longest input (bytes); for all, the slowest one (seconds) before it counts as a hang.
declare -A max_len=([FuzzSafeTensors]=8192 [FuzzModelFile]=16384 [FuzzModelConfig]=4096 [FuzzTokenizer]=16384
                    [FuzzTokenizerText]=4096 [FuzzChatTemplate]=4096 [FuzzHubInfo]=4096 [FuzzEvalText]=4096)
timeout=10

scratch=.build-fuzz
for target in "${targets[@]}"; do
    [[ -n ${max_len[$target]:-} ]] || { echo "fuzz.sh: unknown target $target (known: ${all[*]})" >&2; exit 2; }
done

if [[ ${FUZZ_SKIP_BUILD:-0} != 1 ]]; then
    mkdir -p "$scratch"
    for target in "${targets[@]}"; do
        # The whole output goes to a log: the linker warns about every ASan helper it cannot export.
        if ! swift build --scratch-path "$scratch" --product "$target" \
                -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
                -Xcc -fsanitize=fuzzer-no-link,address >"$scratch/build-$target.log" 2>&1; then
            grep -v "Cannot export local symbol" "$scratch/build-$target.log" | tail -n 30 >&2
            echo "fuzz.sh: $target did not build (log: $scratch/build-$target.log)" >&2
            exit 2
        fi
    done
fi

# Parsers that read files get them in a RAM-backed directory where there is one.
tmp=$(mktemp -d "${FUZZ_TMP:-$( [[ -d /dev/shm && -w /dev/shm ]] && echo /dev/shm || echo /tmp)}/rsr-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp
# Swift's runtime keeps caches alive to the end, which LeakSanitizer would report; leaks are not findings here.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
# AddressSanitizer reports the crash; Swift's own backtracer would add a second, spurious report about itself.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}

status=0
for target in "${targets[@]}"; do
    corpus=$scratch/corpus/$target findings=$scratch/findings/$target log=$scratch/logs/$target.log
    seeds=$scratch/seeds/$target
    rm -rf "$seeds"
    mkdir -p "$corpus" "$findings" "$seeds" "$(dirname "$log")"
    open=0
    for seed in Fuzz/Corpus/"$target"/*; do
        [[ -f $seed ]] || continue
        if [[ $(basename "$seed") == open-* && ${FUZZ_OPEN:-0} != 1 ]]; then open=$((open + 1)); continue; fi
        cp "$seed" "$seeds/"
    done
    before=$(find "$findings" -type f | wc -l)
    # -fork runs the inputs in child processes and goes on after a finding, so one run reports them all.
    # shellcheck disable=SC2086
    "$scratch/debug/$target" "$corpus" "$seeds" \
        -max_total_time="$seconds" -max_len="${max_len[$target]}" -timeout="$timeout" -rss_limit_mb=2048 \
        -malloc_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$findings/" \
        -fork="${FUZZ_JOBS:-1}" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 ${FUZZ_ARGS:-} >"$log" 2>&1
    after=$(find "$findings" -type f | wc -l)
    new=$((after - before))
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
    [[ $execs -eq 0 ]] && execs=$(grep -oE '#[0-9]+' "$log" | tail -n 1 | tr -d '#')
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
    units=$(find "$corpus" -type f | wc -l)
    printf '%-18s %6ss  execs %-9s cov: %-6s ft: %-6s corpus %-5s findings %s%s%s\n' "$target" "$seconds" "${execs:-0}" \
        "${cov:-?}" "${ft:-?}" "$units" "$new" "$( ((new > 0)) && echo " (see $findings, log $log)")" \
        "$( ((open > 0)) && echo "  [$open known open, not run]")"
    ((new > 0)) && status=1
done
exit $status
