#!/usr/bin/env python3
"""Reads a run's TensorBoard event files with TensorBoard's own EventAccumulator and checks
every scalar against the run's metrics.jsonl (used by MonitoringCommandTests).

Usage: check-tensorboard.py RUN_FOLDER [--workers N]
Prints one line per checked tag; exit status 0 when every value matches, 1 otherwise.
"""
import json
import math
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

# metrics.jsonl field -> TensorBoard tag, per line kind.
STEP_TAGS = {
    "loss": "loss/total", "hard_loss": "loss/hard", "soft_loss": "loss/soft", "train_accuracy": "accuracy/train",
    "learning_rate": "learning_rate", "samples_per_s": "samples_per_second",
}
EVAL_TAGS = {"test_accuracy": "accuracy/test", "test_loss": "loss/test",
             "validation_accuracy": "accuracy/validation", "validation_loss": "loss/validation"}


def close(a, b):
    """simple_value is a float32: equal to the JSON double rounded to float32."""
    return math.isclose(a, b, rel_tol=2e-7, abs_tol=1e-30) or (math.isnan(a) and math.isnan(b))


def main():
    run = sys.argv[1]
    workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else None
    accumulator = EventAccumulator(run + "/tensorboard", size_guidance={"scalars": 0})
    accumulator.Reload()
    tags = set(accumulator.Tags()["scalars"])
    scalars = {tag: {e.step: e.value for e in accumulator.Scalars(tag)} for tag in tags}
    expected = {}
    with open(run + "/metrics.jsonl") as f:
        for line in f:
            record = json.loads(line)
            table = STEP_TAGS if record["kind"] == "step" else EVAL_TAGS if record["kind"] in ("eval", "validation") else {}
            for field, tag in table.items():
                if field in record:
                    expected.setdefault(tag, {})[record["step"]] = record[field]
    failures = []
    for tag, values in sorted(expected.items()):
        got = scalars.get(tag, {})
        if set(got) != set(values):
            failures.append(f"{tag}: steps {sorted(got)} in TensorBoard, {sorted(values)} in metrics.jsonl")
            continue
        bad = [(s, got[s], v) for s, v in values.items() if not close(got[s], v)]
        if bad:
            failures.append(f"{tag}: (step, tensorboard, metrics.jsonl) differ at {bad[:3]}")
        print(f"{tag}: {len(values)} values match")
    if workers is not None:
        steps = set(expected.get("loss/total", {}))
        for tag in ["workers/connected", "workers/rejected_results"]:
            if set(scalars.get(tag, {})) != steps:
                failures.append(f"{tag}: steps {sorted(scalars.get(tag, {}))}, log points {sorted(steps)}")
        if any(not 0 <= v <= workers for v in scalars.get("workers/connected", {}).values()):
            failures.append(f"workers/connected outside 0...{workers}: {scalars['workers/connected']}")
        if any(v != 0 for v in scalars.get("workers/rejected_results", {}).values()):
            failures.append(f"workers/rejected_results not 0 with honest workers: {scalars['workers/rejected_results']}")
        print(f"workers/connected: {sorted(set(scalars.get('workers/connected', {}).values()))}")
    for failure in failures:
        print("MISMATCH " + failure)
    print(f"{len(expected)} tags checked, {len(failures)} mismatches")
    return 1 if failures or not expected else 0


if __name__ == "__main__":
    sys.exit(main())
