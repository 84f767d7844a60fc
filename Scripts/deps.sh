#!/usr/bin/env bash
# Installs the Debian packages rsr builds against, where they are missing.
set -euo pipefail
packages=(libopenblas-dev libcurl4-openssl-dev libssl-dev zlib1g-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
