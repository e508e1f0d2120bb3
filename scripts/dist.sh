#!/usr/bin/env bash
# `make dist`: release binaries that a worker host runs without the Swift toolchain.
# The Swift standard library, Foundation and Dispatch are linked in statically
# (--static-swift-stdlib); what stays dynamic is libc, libzmq and OpenBLAS, so a Debian host
# needs only `apt-get install libzmq5 libopenblas0`. Release flags as usual (-Ounchecked, from
# Package.swift), in a scratch folder of its own (.build-dist) so it never mixes with the
# ordinary build. Writes dist/distill-coordinator and dist/distill-worker.
set -euo pipefail
cd "$(dirname "$0")/.."
swift=${SWIFT:-swift}
build=("$swift" build -c release --static-swift-stdlib --scratch-path .build-dist)
for product in distill-coordinator distill-worker; do
    "${build[@]}" --product "$product"
done
bin=$("${build[@]}" --show-bin-path)
mkdir -p dist
for product in distill-coordinator distill-worker; do
    # Copied under a temporary name and renamed, so a running copy is never overwritten in place.
    cp "$bin/$product" "dist/.$product.tmp"
    mv -f "dist/.$product.tmp" "dist/$product"
done
echo "dist/distill-coordinator and dist/distill-worker: a worker host needs libzmq5 and libopenblas0 (Debian) and the binary"
