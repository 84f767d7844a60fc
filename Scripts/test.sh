#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for building rsr, then runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev libcurl4-openssl-dev zlib1g-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

swift build --build-tests
swift test --skip-build "$@"
