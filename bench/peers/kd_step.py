"""The KD step of `distill-coordinator bench kd-step` in a peer framework, for side-by-side runs.

One step: take the next batch of uint8 NHWC images from a fixed random data set (no augmentation:
Distill's side runs with --no-augment), scale to float by 1/255 inside the step, teacher forward in
inference mode without gradient, student forward in training mode (batch-statistics BatchNorm,
dropout), loss (1-a)*CE(y, softmax(z_s)) + a*T^2*CE(softmax(z_t/T), softmax(z_s/T)) averaged over
the batch, backward, SGD step (momentum 0.9), BatchNorm running statistics updated by the framework.
Teacher-only: the same conversion and the teacher's inference forward. With --student-only, the
student trained alone instead (`bench kd-step --teacher none`): no teacher, loss CE(y, softmax(z_s)).

Prints one JSON line: {"framework", "pair", "batch", "threads", "student_only", "samples_per_s",
"teacher_samples_per_s"} (the last null with --student-only).

    python kd_step.py --framework torch|torch-channels-last|tensorflow --pair cnn|mlp [--batch 128] [--student-only]
"""
import argparse
import json
import os
import time

import numpy as np

from models import PAIRS, CLASSES, torch_model, keras_model

TEMPERATURE = 4.0  # distill.temperature default
ALPHA = 0.9  # distill.alpha default
LEARNING_RATE = 0.003
MOMENTUM = 0.9


def data(shape, count, seed=7):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count,) + shape, dtype=np.uint8)
    labels = rng.integers(0, CLASSES, size=count).astype(np.int64)
    return images, labels


def batches(images, labels, batch):
    """Endless batches in order, as Distill's trainer draws from its training set."""
    start = 0
    while True:
        if start + batch > len(images):
            start = 0
        yield images[start:start + batch], labels[start:start + batch]
        start += batch


def timed(step, it, warmup, steps):
    for _ in range(warmup):
        step(*next(it))
    started = time.perf_counter()
    for _ in range(steps):
        step(*next(it))
    return time.perf_counter() - started


def run_torch(args, shape, channels_last):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    pair = PAIRS[args.pair]
    teacher = torch_model(pair["teacher"], shape).eval()
    student = torch_model(pair["student"], shape).train()
    format = torch.channels_last if channels_last and len(shape) == 3 and args.pair == "cnn" else torch.contiguous_format
    teacher = teacher.to(memory_format=format)
    student = student.to(memory_format=format)
    for p in teacher.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.SGD(student.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)

    def to_input(images):
        # uint8 NHWC -> float NCHW (logical), in `format` memory layout.
        return torch.from_numpy(images).permute(0, 3, 1, 2).float().mul_(1 / 255).contiguous(memory_format=format)

    def step(images, labels):
        x = to_input(images)
        y = torch.from_numpy(labels)
        zs = student(x)
        hard = F.cross_entropy(zs, y)
        if args.student_only:
            loss = hard
        else:
            with torch.no_grad():
                zt = teacher(x)
            soft = -(F.softmax(zt / TEMPERATURE, dim=1) * F.log_softmax(zs / TEMPERATURE, dim=1)).sum(dim=1).mean()
            loss = (1 - ALPHA) * hard + ALPHA * TEMPERATURE ** 2 * soft
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def teacher_step(images, labels):
        with torch.inference_mode():
            teacher(to_input(images))

    return step, teacher_step


def run_tensorflow(args, shape):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    keras.utils.set_random_seed(1)
    pair = PAIRS[args.pair]
    teacher = keras_model(pair["teacher"], shape)
    student = keras_model(pair["student"], shape)
    teacher.trainable = False
    optimizer = keras.optimizers.SGD(learning_rate=LEARNING_RATE, momentum=MOMENTUM)
    optimizer.build(student.trainable_variables)
    t2 = TEMPERATURE ** 2

    @tf.function
    def train(images, labels):
        x = tf.cast(images, tf.float32) * (1 / 255)
        zt = None if args.student_only else tf.stop_gradient(teacher(x, training=False))
        with tf.GradientTape() as tape:
            zs = student(x, training=True)
            hard = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, zs))
            if args.student_only:
                loss = hard
            else:
                soft = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.nn.softmax(zt / TEMPERATURE), zs / TEMPERATURE))
                loss = (1 - ALPHA) * hard + ALPHA * t2 * soft
        grads = tape.gradient(loss, student.trainable_variables)
        optimizer.apply_gradients(zip(grads, student.trainable_variables))

    @tf.function
    def infer(images):
        return teacher(tf.cast(images, tf.float32) * (1 / 255), training=False)

    def step(images, labels):
        train(tf.constant(images), tf.constant(labels))

    def teacher_step(images, labels):
        infer(tf.constant(images))

    return step, teacher_step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=["torch", "torch-channels-last", "tensorflow"], required=True)
    parser.add_argument("--pair", choices=sorted(PAIRS), default="cnn")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--student-only", action="store_true", help="train the student alone (no teacher), as bench kd-step --teacher none")
    args = parser.parse_args()
    shape = PAIRS[args.pair]["shape"]
    images, labels = data(shape, max(args.batch, 256))
    if args.framework == "tensorflow":
        step, teacher_step = run_tensorflow(args, shape)
    else:
        step, teacher_step = run_torch(args, shape, channels_last=args.framework == "torch-channels-last")
    seconds = timed(step, batches(images, labels, args.batch), args.warmup, args.steps)
    samples = args.batch * args.steps
    teacher_rate = None
    if not args.student_only:
        teacher_rate = samples / timed(teacher_step, batches(images, labels, args.batch), args.warmup, args.steps)
    print(json.dumps({"framework": args.framework, "pair": args.pair, "batch": args.batch, "threads": args.threads,
                      "student_only": args.student_only, "samples_per_s": samples / seconds, "teacher_samples_per_s": teacher_rate}))


if __name__ == "__main__":
    main()
