#!/usr/bin/env bash
# Launch one coordinator and N workers as separate processes talking over CURVE-encrypted,
# authenticated TCP, the shape of a multi-host deployment on one machine. On several hosts, run
# the coordinator line on one host and the worker line on each of the others with
# --connect tcp://COORDINATOR_HOST:PORT, giving worker i only KEYDIR/worker-i.key_secret and
# KEYDIR/coordinator.key.
#
# Usage: deploy/tcp-cluster.sh OUT_DIR WORKERS [train options...]
#   e.g. deploy/tcp-cluster.sh runs/cluster 2 --set model.spec=seed-student --set train.steps=100
# Keys are made once in DISTILL_KEYS (default OUT_DIR/keys) and reused when they exist.
set -euo pipefail
out=${1:?usage: deploy/tcp-cluster.sh OUT_DIR WORKERS [train options...]}
workers=${2:?usage: deploy/tcp-cluster.sh OUT_DIR WORKERS [train options...]}
shift 2
bin=${DISTILL_BIN:-.build/release}
port=${DISTILL_PORT:-5555}
keys=${DISTILL_KEYS:-$out/keys}
mkdir -p "$out"

if [ ! -e "$keys/coordinator.key_secret" ]; then
    "$bin/distill-coordinator" keygen --out "$keys" --workers "$workers"
fi
for i in $(seq 1 "$workers"); do
    if [ ! -e "$keys/worker-$i.key_secret" ]; then
        echo "error: $keys has no worker-$i.key_secret; make a new key folder (DISTILL_KEYS=...) for $workers workers" >&2
        exit 1
    fi
done

"$bin/distill-coordinator" train --out "$out" --bind "tcp://127.0.0.1:$port" --keys "$keys" --min-workers "$workers" "$@" &
coordinator=$!
trap 'kill $coordinator 2>/dev/null || true' INT TERM
for i in $(seq 1 "$workers"); do
    OPENBLAS_NUM_THREADS=1 "$bin/distill-worker" --once --threads 1 --connect "tcp://127.0.0.1:$port" --name "worker-$i" \
        --key "$keys/worker-$i.key_secret" --server-key "$keys/coordinator.key" \
        2> "$out/worker-$i.log" &
done
wait $coordinator
wait
