#!/usr/bin/env bash
# Multi-host proof on one machine: the coordinator and three workers each in their own network
# namespace (veth pairs into a bridge in a namespace of its own; addresses exist only inside),
# talking CURVE-encrypted TCP with keys from `distill-coordinator keygen`.
#   1. A short run finishes with the same params_sha256 as a single-process run of the same job.
#   2. The same run again, with worker 2's cable pulled (`ip link set ... down`) mid-run: it still
#      finishes with that params_sha256, and the coordinator's log shows worker 2 dropped (for
#      silence or a full send queue, within seconds) before the run ended, not after a TCP
#      timeout of minutes.
# Everything is torn down on exit, also on failure. Exit 0 only when all of it held; 77 when this
# machine cannot run it (not root, no namespaces); 1 otherwise. The last line says which.
#
# Usage: deploy/netns/selftest.sh        (DISTILL_BIN: folder of the binaries, default .build/release;
#                                         DISTILL_KEEP=1 keeps the scratch folder for reading)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/netns/netns-lib.sh
source "$here/netns-lib.sh"
bin=$(cd "${DISTILL_BIN:-$here/../../.build/release}" && pwd)
netns_require

netns_session netns
fail() {
    echo "--- coordinator and worker logs ---" >&2
    tail -n 15 "$scratch"/*/*.log >&2 2>/dev/null || true
    echo "FAILED: $*"
    exit 1
}

job=(--set model.spec=hinton-student --set data.train_size=600 --set data.test_size=64
     --set train.batch_size=48 --set train.shards=6 --set train.steps=24 --set train.log_every=1 --set seed=5)
port=5555
coordinator=10.77.0.1

echo "single-process reference run"
"$bin/distill-coordinator" train --out "$scratch/single" "${job[@]}" > "$scratch/single.log" 2>&1 || fail "single-process run failed"
reference=$(sed -n 's/.*"params_sha256" : "\([0-9a-f]*\)".*/\1/p' "$scratch/single/summary.json")

"$bin/distill-coordinator" keygen --out "$scratch/keys" --workers 3 > /dev/null
netns_bridge "distill-$$"
netns_host c "$coordinator/24"
for i in 1 2 3; do netns_host "w$i" "10.77.0.1$i/24"; done

# distributed_run NAME [--cut-worker-2]: coordinator in c, worker i in wi; waits for the coordinator.
distributed_run() {
    local run=$1 cut=${2:-} dir="$scratch/$1" i started coordinator_pid
    mkdir -p "$dir"
    ip netns exec "$netns_prefix-c" "$bin/distill-coordinator" train --out "$dir/out" "${job[@]}" \
        --bind "tcp://$coordinator:$port" --keys "$scratch/keys" --min-workers 1 --worker-timeout 5 \
        > "$dir/coordinator.log" 2>&1 &
    coordinator_pid=$!
    for i in 1 2 3; do
        ip netns exec "$netns_prefix-w$i" env OPENBLAS_NUM_THREADS=1 "$bin/distill-worker" \
            --connect "tcp://$coordinator:$port" --name "worker-$i" \
            --key "$scratch/keys/worker-$i.key_secret" --server-key "$scratch/keys/coordinator.key" \
            > "$dir/worker-$i.log" 2>&1 &
    done
    if [ "$cut" = --cut-worker-2 ]; then
        started=$SECONDS
        until grep -q '(3 connected)' "$dir/coordinator.log" 2>/dev/null && grep -q '"step":3,' "$dir/out/metrics.jsonl" 2>/dev/null; do
            kill -0 "$coordinator_pid" 2>/dev/null || fail "$run: the coordinator ended before step 3"
            [ $((SECONDS - started)) -lt 600 ] || fail "$run: no step 3 after 10 minutes"
            sleep 0.2
        done
        netns_cut w2
        echo "$run: pulled worker 2's cable after step 3"
    fi
    wait "$coordinator_pid" || fail "$run: the coordinator exited with status $?"
    # Workers serve run after run; this run's end is theirs.
    for i in 1 2 3; do
        for pid in $(ip netns pids "$netns_prefix-w$i"); do kill "$pid" 2>/dev/null || true; done
    done
    grep -q '(3 connected)' "$dir/coordinator.log" || fail "$run: the third worker never joined"
    grep -q '"completed" : true' "$dir/out/summary.json" || fail "$run: summary.json does not say completed"
    local got
    got=$(sed -n 's/.*"params_sha256" : "\([0-9a-f]*\)".*/\1/p' "$dir/out/summary.json")
    [ "$got" = "$reference" ] || fail "$run: params_sha256 $got differs from the single-process run's $reference"
    echo "$run: completed, params_sha256 $got (same as the single-process run)"
}

distributed_run three-workers
distributed_run cut-link --cut-worker-2
detected=$(grep -E "worker worker-2 (silent|unreachable|stopped reading)" "$scratch/cut-link/coordinator.log" | head -n1 || true)
[ -n "$detected" ] || fail "cut-link: the coordinator's log never says worker 2 was dropped"
# The drop must come before the run's final line: detected while training, not after it.
drop_line=$(grep -nE "worker worker-2 (silent|unreachable|stopped reading)" "$scratch/cut-link/coordinator.log" | head -n1 | cut -d: -f1)
done_line=$(grep -n "^done: " "$scratch/cut-link/coordinator.log" | head -n1 | cut -d: -f1)
[ "$drop_line" -lt "$done_line" ] || fail "cut-link: worker 2 was dropped only after the run ended"
echo "cut-link: coordinator: $detected"
echo "PROVED: coordinator + 3 workers in separate network namespaces over CURVE TCP reproduce the single-process params_sha256 $reference, also with worker 2's link cut at step 3 (dropped during the run: $detected)"
