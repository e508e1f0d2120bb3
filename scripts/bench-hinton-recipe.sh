#!/usr/bin/env bash
# Hinton et al.'s distillation recipe on Fashion-MNIST, seeds 1-6, in four variants (see BENCHMARKS.md):
# student hinton-student, SGD lr 0.1 momentum 0.9, batch 128, T = 20, lambda = 0.9, 400 steps at constant
# learning rate, no augmentation, distilled from a hinton-teacher trained here once (3 epochs of Adam).
# Usage: scripts/bench-hinton-recipe.sh [BIN_DIR] [OUT_DIR]   (BIN_DIR: .build/release)
#        NORMALIZE=false scripts/bench-hinton-recipe.sh ...   trains the teacher (and so the students) on x/255
#        instead of per-channel mean/std inputs (the students use the teacher's input normalisation).
# Prints one table row per run: variant, seed, test accuracy, stopped_reason, steps, clipped_fraction.
set -uo pipefail
bin=${1:-.build/release}
out=${2:-runs/bench-hinton}
data=(--config examples/fashion-mnist.yaml --set train.threads=2 --set train.shards=2)
mkdir -p "$out"

if [ ! -f "$out/teacher/teacher.safetensors" ]; then
    "$bin/distill-coordinator" train --config examples/fashion-mnist.yaml --out "$out/teacher" \
        --set model.spec=hinton-teacher --set model.role=teacher --set train.epochs=3 --set train.threads=1 \
        --set data.normalize="${NORMALIZE:-true}" || exit 1
fi

recipe=(--set model.spec=hinton-student --set teacher.checkpoint="$out/teacher"
        --set optimizer.name=sgd --set optimizer.learning_rate=0.1 --set optimizer.momentum=0.9
        --set optimizer.schedule=constant --set train.batch_size=128 --set train.steps=400 --set train.log_every=50
        --set distill.temperature=20 --set distill.alpha=0.9
        --set augment.width_shift=0 --set augment.height_shift=0 --set augment.horizontal_flip=false)

field() { grep "\"$2\"" "$1/summary.json" | sed 's/.*: *//; s/[",]//g'; }

echo "| variant | seed | test accuracy | stopped_reason | steps | clipped_fraction | exit |"
echo "|---|---|---|---|---|---|---|"
for variant in glorot_uniform clip_norm=1 torch_default glorot_uniform,guard=off; do
    case $variant in
        glorot_uniform) extra=() ;;
        clip_norm=1) extra=(--set optimizer.clip_norm=1) ;;
        torch_default) extra=(--set model.init=torch_default) ;;
        glorot_uniform,guard=off) extra=(--set train.divergence_guard=false) ;;
    esac
    for seed in 1 2 3 4 5 6; do
        run="$out/${variant//[=,]/-}-seed$seed"
        "$bin/distill-coordinator" train "${data[@]}" --out "$run" "${recipe[@]}" "${extra[@]}" --set seed=$seed \
            > "$run.log" 2>&1
        status=$?
        accuracy=$(field "$run" test_accuracy)
        printf '| %s | %d | %.2f%% | %s | %s | %s | %d |\n' "$variant" "$seed" "$(echo "$accuracy * 100" | bc -l)" \
            "$(field "$run" stopped_reason)" "$(field "$run" steps)" "$(field "$run" clipped_fraction)" "$status"
    done
done
