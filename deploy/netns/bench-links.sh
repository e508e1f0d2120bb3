#!/usr/bin/env bash
# Slow links, measured: one coordinator and three workers (one thread each) in network namespaces,
# every host's link shaped with `tc qdisc ... tbf` to each RATE in turn (default 10gbit, 1gbit and
# 100mbit), CURVE-encrypted TCP. For each rate, one run of the same job; prints step time, bytes
# per step and the fraction of the step spent communicating, from the run's summary.json:
#   step_s       step_seconds: mean wall-clock time of a step
#   MB/step      bytes_sent_per_step + bytes_received_per_step at the coordinator, in 10^6 bytes
#   compute_s    shard_compute_seconds_per_step / 3: the shards' computation per worker per step
#                (the shards are spread evenly: train.shards is a multiple of 3)
#   comm         1 - coordinator_overhead_fraction - compute_s / step_s: the rest of the step,
#                spent sending parameters and shards, receiving gradients and waiting on them
# Extra arguments go to `train` (e.g. --set train.wire_gradients=bf16, --set train.steps=40).
#
# Usage: deploy/netns/bench-links.sh [train options...]   (root; DISTILL_BIN as for selftest.sh;
#        DISTILL_RATES="10gbit 1gbit 100mbit"; DISTILL_KEEP=1 keeps the runs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/netns/netns-lib.sh
source "$here/netns-lib.sh"
bin=$(cd "${DISTILL_BIN:-$here/../../.build/release}" && pwd)
read -r -a rates <<< "${DISTILL_RATES:-10gbit 1gbit 100mbit}"
netns_require
for rate in "${rates[@]}"; do netns_bits_per_second "$rate" > /dev/null; done

netns_session bench

job=(--set model.spec=seed-student --set data.train_size=2000 --set data.test_size=100
     --set train.batch_size=96 --set train.shards=3 --set train.steps=20 --set train.log_every=5 --set seed=1 "$@")
port=5555
coordinator=10.79.0.1
"$bin/distill-coordinator" keygen --out "$scratch/keys" --workers 3 > /dev/null
netns_bridge "dbench-$$"
netns_host c "$coordinator/24"
for i in 1 2 3; do netns_host "w$i" "10.79.0.1$i/24"; done

echo "train ${job[*]}"
printf '%-8s %8s %9s %10s %6s %10s\n' link step_s MB/step compute_s comm samples/s
for rate in "${rates[@]}"; do
    for host in c w1 w2 w3; do netns_shape "$host" "$rate"; done
    dir="$scratch/$rate"
    mkdir -p "$dir"
    ip netns exec "$netns_prefix-c" "$bin/distill-coordinator" train --out "$dir/out" "${job[@]}" \
        --bind "tcp://$coordinator:$port" --keys "$scratch/keys" --min-workers 3 > "$dir/coordinator.log" 2>&1 &
    coordinator_pid=$!
    for i in 1 2 3; do
        ip netns exec "$netns_prefix-w$i" "$bin/distill-worker" --connect "tcp://$coordinator:$port" --threads 1 \
            --name "worker-$i" --key "$scratch/keys/worker-$i.key_secret" --server-key "$scratch/keys/coordinator.key" \
            > "$dir/worker-$i.log" 2>&1 &
    done
    if ! wait "$coordinator_pid"; then
        tail -n 20 "$dir/coordinator.log" >&2
        echo "FAILED: the run over $rate links did not finish" >&2
        exit 1
    fi
    for i in 1 2 3; do
        for pid in $(ip netns pids "$netns_prefix-w$i"); do kill "$pid" 2>/dev/null || true; done
    done
    python3 - "$rate" "$dir/out/summary.json" <<'EOF'
import json, sys
rate, path = sys.argv[1], sys.argv[2]
s = json.load(open(path))
step = s["step_seconds"]
compute = s["shard_compute_seconds_per_step"] / 3
comm = max(0.0, 1 - s["coordinator_overhead_fraction"] - compute / step)
mb = (s["bytes_sent_per_step"] + s["bytes_received_per_step"]) / 1e6
print(f"{rate:<8} {step:8.3f} {mb:9.2f} {compute:10.3f} {comm:6.2f} {s['samples_per_s']:10.1f}")
EOF
done
