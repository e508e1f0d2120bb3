#!/usr/bin/env bash
# Builds and runs the whole test suite optimised (the tests train real models), then prints one
# closing line "XCTest: N passed, F failed". Usage: scripts/test.sh (called by `make test`).
set -uo pipefail
flags=(-c release -Xswiftc -enable-testing)
swift build --build-tests "${flags[@]}" || exit 1
log=$(mktemp)
swift test --skip-build --disable-swift-testing "${flags[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1)
rm -f "$log"
executed=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$summary")
if [ -z "$summary" ]; then
    echo "XCTest: 0 passed, 1 failed (no test summary found)"
    exit 1
fi
echo "XCTest: $((executed - failed)) passed, $failed failed"
exit "$status"
