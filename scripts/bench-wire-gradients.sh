#!/usr/bin/env bash
# train.wire_gradients: float32 vs bf16 on Fashion-MNIST (see BENCHMARKS.md).
# 1. Traffic: 20 steps with 2 local workers, 2 shards; bytes the coordinator received per step
#    (results: gradients, statistics, headers; heartbeats and ready messages included).
# 2. Accuracy: EPOCHS epochs (default 3) of plain training of hinton-student (Adam, batch 128,
#    the example's augmentation), single process with 2 shards, seeds 1-SEEDS (default 2). The
#    single-process trainer rounds each shard's gradient as the workers do, so these are the
#    accuracies a distributed run with the same settings gets, bit for bit.
# Usage: scripts/bench-wire-gradients.sh [BIN_DIR] [OUT_DIR]   (BIN_DIR: .build/release)
set -uo pipefail
bin=${1:-.build/release}
out=${2:-runs/bench-wire}
epochs=${EPOCHS:-3}
seeds=${SEEDS:-2}
data=(--config examples/fashion-mnist.yaml --set model.spec=hinton-student --set model.role=student --set train.shards=2)
mkdir -p "$out"
field() { grep "\"$2\"" "$1/summary.json" | sed 's/.*: *//; s/[",]//g'; }

echo "| wire_gradients | bytes received per step | bytes sent per step | exit |"
echo "|---|---|---|---|"
for encoding in float32 bf16; do
    run="$out/traffic-$encoding"
    rm -rf "$run"
    "$bin/distill-coordinator" train "${data[@]}" --out "$run" --local-workers 2 --set train.steps=20 --set train.log_every=20 \
        --set train.wire_gradients="$encoding" > "$run.log" 2>&1
    status=$?
    echo "| $encoding | $(field "$run" bytes_received_per_step) | $(field "$run" bytes_sent_per_step) | $status |"
done

echo
echo "| wire_gradients | seed | test accuracy | train loss | params_sha256 | exit |"
echo "|---|---|---|---|---|---|"
for seed in $(seq 1 "$seeds"); do
    for encoding in float32 bf16; do
        run="$out/accuracy-$encoding-seed$seed"
        rm -rf "$run"
        "$bin/distill-coordinator" train "${data[@]}" --out "$run" --set train.threads=2 --set train.epochs="$epochs" \
            --set train.log_every=200 --set seed="$seed" --set train.wire_gradients="$encoding" > "$run.log" 2>&1
        status=$?
        echo "| $encoding | $seed | $(field "$run" test_accuracy) | $(field "$run" train_loss) | $(field "$run" params_sha256 | cut -c1-12) | $status |"
    done
done
