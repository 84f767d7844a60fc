#!/usr/bin/env bash
# Packs what Scripts/test-cuda.sh needs on a GPU machine that has no Swift toolchain and no network: a
# release rsr (stripped), the shared libraries it links beyond glibc and libstdc++, and the fixtures.
#
#   Scripts/bundle-for-gpu.sh [FIXTURES] [OUT]      defaults: Tests/Fixtures, .gpu-bundle/bundle.tar.xz
#
# There: mkdir -p /tmp/rsr && tar xJf .gpu-bundle/bundle.tar.xz -C /tmp/rsr && LD_LIBRARY_PATH=/tmp/rsr/lib Scripts/test-cuda.sh /tmp/rsr/rsr /tmp/rsr/fixtures
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=${1:-Tests/Fixtures}
out=${2:-.gpu-bundle/bundle.tar.xz}

swift build -c release --static-swift-stdlib --product rsr
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib" "$(dirname "$out")"
cp .build/release/rsr "$stage/rsr"
strip "$stage/rsr"
ldd .build/release/rsr | awk '/=> \// {print $3}' |
    grep -v -E '/(libc|libm|libstdc\+\+|libgcc_s|libresolv|libdl|libpthread|librt)\.so' |
    while read -r lib; do cp -L "$lib" "$stage/lib/"; done
cp -r "$fixtures" "$stage/fixtures"
XZ_OPT=-9e tar cJf "$out" -C "$stage" .
echo "$out: $(du -h "$out" | cut -f1)" >&2
