#!/usr/bin/env bash
# Teacher cache benchmarks (BENCHMARKS.md, "Teacher cache"): run from the repository root after
# `swift build -c release`. Writes runs under $OUT and prints three tables:
#   1. epoch time after the first K epochs, with and without teacher.cache (CNN pair, and MLP pair);
#   2. test accuracy of K = 1, 4, 16 views against fresh augmentation, over SEEDS: Hinton's MLP pair on
#      Fashion-MNIST, and the `make demo` CNN pair (examples/demo.yaml) on the built-in data;
#   3. coordinator overhead (% of a step) in local mode with 2 workers, this build against $BEFORE
#      (a release build of the commit before the batch prefetch, e.g. /work/main/.build/release).
# Sizes are environment variables so a quiet machine can run the full-size version:
#   SPEED_IMAGES (2560) SPEED_EPOCHS (3) ACC_IMAGES (4000) ACC_EPOCHS (32) TEACHER_EPOCHS (10, Fashion-MNIST)
#   SEEDS ("1 2 3") BEFORE (unset: skip table 3)
# TABLES ("1 2") picks tables 1 and 2; table 3 runs when BEFORE is set.
set -euo pipefail
B=${B:-.build/release}
OUT=${OUT:-runs/bench-teacher-cache}
SPEED_IMAGES=${SPEED_IMAGES:-2560}
SPEED_EPOCHS=${SPEED_EPOCHS:-3}
ACC_IMAGES=${ACC_IMAGES:-4000}
ACC_EPOCHS=${ACC_EPOCHS:-32}
TEACHER_EPOCHS=${TEACHER_EPOCHS:-10}
SEEDS=${SEEDS:-1 2 3}
TABLES=${TABLES:-1 2}
FM="--set data.source=idx --set data.path=/usr/share/datasets/fashion-mnist"
mkdir -p "$OUT"

train() { "$B/distill-coordinator" train "$@" > /dev/null; }
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
percent() { python3 -c "import json,sys; print(f'{100 * json.load(open(sys.argv[1]))[\"test_accuracy\"]:.2f}%')" "$1"; }
# Mean samples/s over the metric lines of epochs >= $2 (one line per epoch: log_every = steps per epoch).
epoch_rate() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if '"kind":"step"' in l]
rates = [l["samples_per_s"] for l in lines if l["epoch"] >= int(sys.argv[2])]
print(f"{sum(rates) / len(rates):.1f}")
EOF
}

if [[ " $TABLES " == *" 1 "* ]]; then
echo "== 1. epoch time after the first K epochs (K = 1, $SPEED_IMAGES images, batch 128, $SPEED_EPOCHS epochs)"
steps=$(( (SPEED_IMAGES + 127) / 128 ))
speed="--set data.train_size=$SPEED_IMAGES --set data.test_size=500 --set train.batch_size=128 --set train.epochs=$SPEED_EPOCHS --set train.log_every=$steps --set augment.views=1"
printf "| pair | mode | samples/s without cache | samples/s with cache | speed-up |\n|---|---|---|---|---|\n"
for pair in "vgg8-teacher seed-student" "hinton-teacher hinton-student"; do
    set -- $pair
    teacher=$1 student=$2
    train --out "$OUT/speed-$teacher" --set data.train_size=256 --set data.test_size=100 --set model.spec="$teacher" --set train.steps=1
    for mode in single local2; do
        extra=""
        [ "$mode" = local2 ] && extra="--local-workers 2"
        for cache in false true; do
            train --out "$OUT/speed-$student-$mode-$cache" $extra $speed --set model.spec="$student" \
                --set teacher.checkpoint="$OUT/speed-$teacher" --set teacher.cache=$cache
        done
        off=$(epoch_rate "$OUT/speed-$student-$mode-false/metrics.jsonl" 1)
        on=$(epoch_rate "$OUT/speed-$student-$mode-true/metrics.jsonl" 1)
        echo "| $teacher → $student | $mode | $off | $on | $(python3 -c "print(f'{$on/$off:.2f}×')") |"
    done
done

fi

if [[ " $TABLES " == *" 2 "* ]]; then
echo "== 2. test accuracy of K views against fresh augmentation, mean (min–max) over seeds $SEEDS, $ACC_EPOCHS student epochs"
printf "| data, pair | teacher | fresh | K = 1 | K = 4 | K = 16 |\n|---|---|---|---|---|---|\n"
# Fashion-MNIST: Hinton's MLP pair on ACC_IMAGES images. Built-in shapes: the `make demo` recipe
# (examples/demo.yaml: 10,000 images, shifts and flips, Adam), whose CNN teacher learns them.
for data in fashion-mnist builtin; do
    if [ "$data" = fashion-mnist ]; then
        common="$FM --set data.limit=$ACC_IMAGES --set data.train_size=$ACC_IMAGES --set train.batch_size=128 --set train.log_every=1000"
        teacher="--set model.spec=hinton-teacher --set train.epochs=$TEACHER_EPOCHS"
        student="--set model.spec=hinton-student"
        pair="hinton-teacher → hinton-student"
    else
        common="--config examples/demo.yaml --set train.log_every=1000"
        teacher="--set model.spec=examples/demo-teacher.yaml --set model.role=teacher"
        student="--set model.spec=examples/demo-student.yaml"
        pair="demo-teacher → demo-student"
    fi
    train --out "$OUT/acc-$data-teacher" $common $teacher
    row="| $data, $pair | $(percent "$OUT/acc-$data-teacher/summary.json")"
    for views in 0 1 4 16; do
        cache=true
        [ "$views" = 0 ] && cache=false
        runs=()
        for seed in $SEEDS; do
            train --out "$OUT/acc-$data-k$views-s$seed" $common $student --set seed=$seed --set train.epochs=$ACC_EPOCHS \
                --set teacher.checkpoint="$OUT/acc-$data-teacher" --set augment.views=$views --set teacher.cache=$cache
            runs+=("$OUT/acc-$data-k$views-s$seed/summary.json")
        done
        row="$row | $(python3 -c "
import json, sys
a = [100 * json.load(open(f))['test_accuracy'] for f in sys.argv[1:]]
print(f'{sum(a) / len(a):.2f}% ({min(a):.2f}–{max(a):.2f})')" "${runs[@]}")"
    done
    echo "$row |"
done
fi

if [ -n "${BEFORE:-}" ]; then
    echo "== 3. coordinator overhead, local mode with 2 workers ($BEFORE before, $B after)"
    printf "| pair | before | after |\n|---|---|---|\n"
    for pair in "vgg8-teacher seed-student" "hinton-teacher hinton-student"; do
        set -- $pair
        row="| $1 → $2"
        for build in before after; do
            bin=$B
            [ $build = before ] && bin=$BEFORE
            "$bin/distill-coordinator" train --out "$OUT/overhead-$2-$build" --local-workers 2 \
                --set data.train_size=$SPEED_IMAGES --set data.test_size=500 --set train.batch_size=128 --set train.epochs=1 \
                --set model.spec="$2" --set teacher.checkpoint="$OUT/speed-$1" > /dev/null
            row="$row | $(python3 -c "import json,sys; print(f'{100*json.load(open(sys.argv[1]))[\"coordinator_overhead_fraction\"]:.1f}%')" "$OUT/overhead-$2-$build/summary.json")"
        done
        echo "$row |"
    done
fi
