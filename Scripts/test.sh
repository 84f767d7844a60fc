#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for building rsr, then runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/deps.sh
swift build --build-tests
swift test --skip-build "$@"
