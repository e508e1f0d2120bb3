#!/usr/bin/env bash
# Distill's KD step side by side with the same step in PyTorch (eager NCHW, channels-last) and
# TensorFlow/Keras (tf.function), alternating, ROUNDS rounds (default 3), median per contender;
# prints one table and, last, one JSON line:
#   {"distill_samples_per_s":…, "fastest_peer":"…", "fastest_peer_samples_per_s":…, "ratio":…,
#    "teacher_ratio":…, "fraction_of_peak":…, "fastest_peer_fraction_of_peak":…}
# (a peer's fraction of peak: its KD-step rate times Distill's FLOPs per sample, over the sgemm
# peak Distill measured in the same round).
# Usage: scripts/bench-peers.sh [--pair cnn|mlp] [--student-only] [BIN]   (BIN: folder of a release build, default .build/release)
#   cnn: vgg8-teacher -> seed-student on 32x32x3;  mlp: hinton-teacher -> hinton-student on 28x28x1.
#   --student-only: the pair's student trained alone (no teacher, cross-entropy on the labels) instead
#   of the KD step; no teacher-only column, and "teacher_ratio" is null.
# Everything runs with 2 compute threads (peers: 2 intra-op, 1 inter-op), batch 128, no augmentation,
# SGD with momentum 0.9, T = 4, λ = 0.9. Environment: ROUNDS, STEPS (measured steps, default 10),
# BATCH (128), THREADS (2), PEERS (default "torch torch-channels-last tensorflow"; mlp: "torch tensorflow"),
# PEERS_TORCH (the torch requirement, default the CPU wheel in pip's find-links folder).
set -euo pipefail
cd "$(dirname "$0")/.."
pair=cnn
student_only=false
while [ $# -gt 0 ]; do
    case $1 in
        --pair) pair=$2; shift 2 ;;
        --student-only) student_only=true; shift ;;
        *) break ;;
    esac
done
bin=${1:-.build/release}
rounds=${ROUNDS:-3}; steps=${STEPS:-10}; batch=${BATCH:-128}; threads=${THREADS:-2}
case $pair in
    cnn) models=(--teacher vgg8-teacher --student seed-student --input 32x32x3); default_peers="torch torch-channels-last tensorflow" ;;
    # channels-last changes nothing for dense layers: the MLP pair has one PyTorch contender.
    mlp) models=(--teacher hinton-teacher --student hinton-student --input 28x28x1); default_peers="torch tensorflow" ;;
    *) echo "bench-peers: --pair takes cnn or mlp, not '$pair'" >&2; exit 64 ;;
esac
peer_flags=()
if $student_only; then models[1]=none; peer_flags=(--student-only); fi
peers=${PEERS:-$default_peers}
[ -x "$bin/distill-coordinator" ] || { echo "bench-peers: no $bin/distill-coordinator (run: swift build -c release)" >&2; exit 1; }
python=$(scripts/pyenv.sh peers "${PEERS_TORCH:-torch==2.13.0+cpu}" tensorflow-cpu numpy | tail -n 1)
mkdir -p .build/bench
counter=.build/bench/libmalloc_count.so
[ "$counter" -nt bench/malloc-count/malloc_count.c ] || cc -O2 -shared -fPIC -o "$counter" bench/malloc-count/malloc_count.c
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

for round in $(seq 1 "$rounds"); do
    echo "round $round/$rounds: distill" >&2
    LD_PRELOAD="$PWD/$counter" OPENBLAS_NUM_THREADS=1 "$bin/distill-coordinator" bench kd-step "${models[@]}" \
        --batch "$batch" --threads "$threads" --steps "$steps" | tee "$results/distill-$round.txt" | tail -n 1 > "$results/distill-$round.json"
    for peer in $peers; do
        echo "round $round/$rounds: $peer" >&2
        (cd bench/peers && OMP_NUM_THREADS=$threads "$python" kd_step.py --framework "$peer" --pair "$pair" \
            --batch "$batch" --threads "$threads" --steps "$steps" "${peer_flags[@]}") | tail -n 1 > "$results/$peer-$round.json"
    done
done

"$python" - "$results" "$rounds" "$pair" $peers <<'EOF'
import json, statistics, sys
folder, rounds, pair, peers = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def load(name):
    return [json.loads(open(f"{folder}/{name}-{r}.json").read()) for r in range(1, rounds + 1)]
distill = load("distill")
med = lambda rows, key: statistics.median(row[key] for row in rows)
# A contender's fraction of the sgemm peak: its KD-step GFLOP/s (Distill's direct-convolution
# FLOP count per sample, the same step) over the peak Distill measured in the same round.
def fractions(runs):
    return statistics.median(run["samples_per_s"] * d["gflop_per_sample"] / d["sgemm_gflops"] for run, d in zip(runs, distill))
student_only = distill[0]["teacher"] == "none"
# No teacher-only rate with --student-only: NaN in the table, null in the JSON.
teacher_rate = lambda rows: float("nan") if student_only else med(rows, "teacher_samples_per_s")
rows = {"distill": (med(distill, "samples_per_s"), teacher_rate(distill), fractions(distill))}
for peer in peers:
    runs = load(peer)
    rows[peer] = (med(runs, "samples_per_s"), teacher_rate(runs), fractions(runs))
fastest = max(peers, key=lambda p: rows[p][0])
fastest_teacher = max(peers, key=lambda p: rows[p][1])
d = distill[0]
step_name = "training step, student alone" if student_only else "KD step"
print(f"\n{step_name}, {pair} pair ({d['teacher']} -> {d['student']}, input {d['input']}), batch {d['batch']}, "
      f"{d['threads']} threads, median of {rounds} alternated rounds")
print(f"{'':24}{'step samples/s':>20}{'Distill ÷ row':>15}{'teacher-only samples/s':>25}{'Distill ÷ row':>15}"
      f"{'step of sgemm peak':>24}")
for name, (kd, teacher, fraction) in rows.items():
    print(f"{name:24}{kd:20.1f}{rows['distill'][0] / kd:14.2f}x{teacher:25.1f}{rows['distill'][1] / teacher:14.2f}x{fraction:24.3f}")
per_round = [f"{x['samples_per_s']:.1f}" for x in distill]
print(f"Distill ({distill[-1].get('sgemm_kernel', 'openblas')}) per round: {', '.join(per_round)} samples/s; sgemm peak per round: "
      + ", ".join(f"{x.get('sgemm_gflops', float('nan')):.1f}" for x in distill) + " GFLOP/s")
print(f"Distill fraction of sgemm peak (median): {med(distill, 'fraction_of_peak'):.3f}; "
      f"allocations per step: {distill[-1].get('allocations_per_step', 'not counted')}; "
      f"peak RSS {distill[-1]['peak_rss_bytes'] / 1e6:.0f} MB")
print("Distill step breakdown (ms, last round): " + ", ".join(f"{k} {v:.1f}" for k, v in distill[-1]["breakdown_ms"].items()))
print(json.dumps({"distill_samples_per_s": rows["distill"][0], "fastest_peer": fastest,
                  "fastest_peer_samples_per_s": rows[fastest][0], "ratio": rows["distill"][0] / rows[fastest][0],
                  "teacher_ratio": None if student_only else rows["distill"][1] / rows[fastest_teacher][1],
                  "fraction_of_peak": med(distill, "fraction_of_peak"),
                  "fastest_peer_fraction_of_peak": rows[fastest][2]}))
EOF
