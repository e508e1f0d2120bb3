#!/usr/bin/env bash
# Launch one coordinator and N workers as separate processes talking over TCP, the shape of a
# multi-host deployment on one machine. On several hosts, run the coordinator line on one host
# and the worker line on each of the others with --connect tcp://COORDINATOR_HOST:PORT.
#
# Usage: deploy/tcp-cluster.sh OUT_DIR WORKERS [train options...]
#   e.g. deploy/tcp-cluster.sh runs/cluster 2 --set model.spec=seed-student --set train.steps=100
set -euo pipefail
out=${1:?usage: deploy/tcp-cluster.sh OUT_DIR WORKERS [train options...]}
workers=${2:?usage: deploy/tcp-cluster.sh OUT_DIR WORKERS [train options...]}
shift 2
bin=${DISTILL_BIN:-.build/release}
port=${DISTILL_PORT:-5555}
mkdir -p "$out"

"$bin/distill-coordinator" train --out "$out" --bind "tcp://127.0.0.1:$port" --min-workers "$workers" "$@" &
coordinator=$!
trap 'kill $coordinator 2>/dev/null || true' INT TERM
for i in $(seq 1 "$workers"); do
    OPENBLAS_NUM_THREADS=1 "$bin/distill-worker" --connect "tcp://127.0.0.1:$port" --name "worker-$i" \
        2> "$out/worker-$i.log" &
done
wait $coordinator
wait
