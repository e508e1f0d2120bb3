#!/usr/bin/env bash
# The whole Distill story on the built-in data: train a teacher, train the student alone,
# distil the student from the teacher, compare test accuracies and plot the curves (runs/demo/curves.svg).
# Usage: scripts/demo.sh BIN_DIR   (called by `make demo`)
set -euo pipefail
bin=${1:-.build/release}
out=runs/demo
config=examples/demo.yaml
mkdir -p "$out"
coordinator() { "$bin/distill-coordinator" "$@"; }
train() { coordinator train --local-workers 2 "$@"; }

echo "== 1/3 teacher"
train --config "$config" --out "$out/teacher" \
    --set model.spec=examples/demo-teacher.yaml --set model.role=teacher
echo "== 2/3 student alone"
train --config "$config" --out "$out/student-alone" \
    --set model.spec=examples/demo-student.yaml --set model.role=student
echo "== 3/3 distilled student"
train --config "$config" --out "$out/distilled" \
    --set model.spec=examples/demo-student.yaml --set teacher.checkpoint="$out/teacher"

echo
coordinator compare "teacher=$out/teacher" "student alone=$out/student-alone" "distilled student=$out/distilled"
coordinator plot "teacher=$out/teacher" "student alone=$out/student-alone" "distilled student=$out/distilled" --out "$out/curves.svg"
echo "curves: open $out/curves.svg in a web browser (or: rsvg-convert $out/curves.svg -o curves.png)"
