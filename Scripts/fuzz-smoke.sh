#!/usr/bin/env bash
# Every fuzz target built with libFuzzer and run briefly (10 seconds each by default, FUZZ_SMOKE_SECONDS
# to change) on its seed corpus, which includes the inputs of past findings: a regression or a finding in
# the first seconds fails the run. Meant for Scripts/test.sh; Scripts/fuzz.sh is the same for longer runs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec Scripts/fuzz.sh "${FUZZ_SMOKE_SECONDS:-10}" "$@"
