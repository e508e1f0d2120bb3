#!/usr/bin/env bash
# libFuzzer campaigns (`make fuzz`) over the wire decoder and every file reader, from the seed
# corpus in Tests/FuzzCorpus/<target>/. Builds DistillFuzz in .build-fuzz with AddressSanitizer,
# libFuzzer's coverage instrumentation and a checked -O (not the release -Ounchecked, so bounds
# and overflow checks stay in and trap), linked against libFuzzer's driver without its main.
# Usage: scripts/fuzz.sh [TARGET ...]   (default: all; runs per target from FUZZ_RUNS_WIRE,
# FUZZ_RUNS_FILES). New inputs go to .build-fuzz/corpus/<target>, crashes to .build-fuzz/crashes/.
set -euo pipefail
runs_wire=${FUZZ_RUNS_WIRE:-1000000}
runs_files=${FUZZ_RUNS_FILES:-100000}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(wire idx idx-gzip npy cifar10 safetensors checkpoint model-file model-spec config onnx)

toolchain=$(dirname "$(readlink -f "$(command -v swiftc)")")/..
runtime=$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a | head -1)
swift build -c debug --scratch-path .build-fuzz --product DistillFuzz \
    -Xswiftc -O -Xswiftc -sanitize=address \
    -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xswiftc -DDISTILL_LIBFUZZER -Xlinker "$runtime" -Xlinker -lstdc++
binary=.build-fuzz/debug/DistillFuzz

mkdir -p .build-fuzz/crashes
status=0
for target in "${targets[@]}"; do
    runs=$runs_files
    [ "$target" = wire ] && runs=$runs_wire
    mkdir -p ".build-fuzz/corpus/$target"
    log=".build-fuzz/fuzz-$target.log"
    start=$(date +%s)
    if SWIFT_BACKTRACE=enable=no DISTILL_FUZZ_TARGET=$target "$binary" -runs="$runs" -detect_leaks=0 -timeout=20 \
        -artifact_prefix=".build-fuzz/crashes/$target-" ".build-fuzz/corpus/$target" "Tests/FuzzCorpus/$target" >"$log" 2>&1; then
        seconds=$(( $(date +%s) - start ))
        done=$(grep -Eo "Done [0-9]+ runs" "$log" | grep -Eo "[0-9]+")
        cov=$(grep -Eo "cov: [0-9]+" "$log" | tail -1)
        echo "fuzz $target: $done runs in ${seconds}s ($(( done / (seconds > 0 ? seconds : 1) )) exec/s), $cov, no crash"
    else
        status=1
        echo "fuzz $target: CRASH, see $log and .build-fuzz/crashes/$target-*"
        grep -E "ERROR|Fatal error|SUMMARY" "$log" | head -5 || true
    fi
done
exit $status
