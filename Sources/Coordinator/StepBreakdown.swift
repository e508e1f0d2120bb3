import Core

/// Where a KD step's time goes, in seconds per step: coordinator phases measured on their own,
/// shard phases from the executors' ``ShardPhaseSeconds`` during the measured steps (thread
/// time of all executors divided by the thread count, since the shards run side by side).
struct StepBreakdown {
    var augmentation = 0.0
    var input = 0.0
    var teacher = 0.0
    var studentForward = 0.0
    var loss = 0.0
    var studentBackward = 0.0
    var reduce = 0.0
    var optimizer = 0.0
    /// Reduce and optimiser step as one pass (``StepReducer/OnePass``),
    /// the trainer's path without clipping; the two rows above are its path with clipping.
    var reduceAndOptimizer = 0.0

    /// The rows, in step order, with their names in the table and the JSON.
    var rows: [(name: String, key: String, seconds: Double)] {
        [("augmentation (default settings)", "augmentation", augmentation), ("uint8 → float input", "input", input),
         ("teacher forward", "teacher", teacher), ("student forward", "student_forward", studentForward),
         ("loss", "loss", loss), ("student backward", "student_backward", studentBackward),
         ("reduce (shard order)", "reduce", reduce), ("optimiser", "optimizer", optimizer),
         ("reduce + optimiser, one pass", "reduce_and_optimizer", reduceAndOptimizer)]
    }

    /// Adds the shard phases `phases` (summed over executors, for `steps` steps on `threads` threads).
    mutating func add(shardPhases phases: ShardPhaseSeconds, steps: Int, threads: Int) {
        let scale = 1 / Double(steps * threads)
        input = phases.input * scale
        teacher = phases.teacher * scale
        studentForward = phases.studentForward * scale
        loss = phases.loss * scale
        studentBackward = phases.studentBackward * scale
    }

    /// Times the coordinator's phases of one step `repeats` times each: augmenting a batch with
    /// `augmenting`'s augmentation (a setup with the default augmentation settings), reducing `results` in
    /// shard order, one optimiser step on a scratch copy of the student, and both in one pass.
    /// Reduce and optimiser run on `threads` threads, as in the trainer.
    mutating func measureCoordinatorPhases(setup: TrainingSetup, augmenting: TrainingSetup, results: [ShardResult], repeats: Int,
                                           threads: Int) {
        let parallelism = ElementwiseParallelism(threads: threads)
        let indices = Array(0..<min(setup.batchSize, augmenting.train.count))
        var images = [UInt8](repeating: 0, count: indices.count * augmenting.train.imageBytes)
        let channels = (try? Network(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes))?
            .batchNorms.map(\.channels) ?? []
        let parameters = ModelParameters(layout: setup.student.layout)
        parameters.copy(from: setup.student)
        let (stepper, _) = setup.makeOptimizer(decayRanges: parameters.layout.decayRanges, parallelism: parallelism)
        let mean = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(parameters.layout.parameterCount, 1))
        defer { mean.deallocate() }
        mean.initialize(repeating: 0)
        func time(_ body: () -> Void) -> Double {
            let started = MonotonicClock.now()
            for _ in 0..<repeats { body() }
            return (MonotonicClock.now() - started) / Double(repeats)
        }
        augmentation = time {
            images.withUnsafeMutableBufferPointer { buffer in
                augmentBatch(dataset: augmenting.train, indices: indices, augmentation: augmenting.augmentation,
                             seed: 1, epoch: 0, into: buffer)
            }
        }
        reduce = time { _ = StepReducer.reduce(results, channels: channels, into: mean, parallelism: parallelism) }
        optimizer = time {
            stepper.step(parameters: parameters.values, gradients: UnsafeBufferPointer(mean), learningRate: 1e-6)
        }
        let onePass = StepReducer.OnePass()
        reduceAndOptimizer = time {
            _ = onePass.reduce(results, channels: channels, applying: stepper, learningRate: 1e-6, to: parameters.values,
                               parallelism: parallelism) { _ in }
        }
    }
}
