import Foundation

/// The training loop shared by the single-process trainer and the distributed coordinator:
/// draw the global batch, augment it (keyed) and cut it into shards (one step ahead, on the
/// ``BatchPrefetcher``'s thread), attach the teacher's cached logits (``TeacherCache``, with
/// `teacher.cache`), have a ``ShardBackend`` compute the shards (offering it the next step of
/// the epoch, whose tasks a distributed backend sends ahead: ``UpcomingStep``), store the logits they return,
/// reduce in shard order, clip the mean gradient (``GradientClipping``), check the step
/// (``DivergenceGuard``), apply the optimiser step once, update the BatchNorm running
/// statistics, log, evaluate and checkpoint. Without clipping, and with gradients whose mean
/// is finite by the checks they passed (``StepReducer/meanIsFinite(_:)``), the reduce and the
/// optimiser step run as one pass, with the same bits. A step the guard refuses is never applied: the run
/// stops with ``divergence`` set and writes its outputs with the parameters of the last good step.
///
/// Evaluations during the run (every `train.eval_every` steps, or every epoch, and at the last
/// step) use the `data.validation` images only; each better validation accuracy rewrites
/// `best.safetensors`, and `train.early_stop_patience` evaluations in a row without one stop the
/// run (`stopped_reason` `early_stopped`). With `data.validation` 0 there is no evaluation during
/// the run. The test split is evaluated once, when the run ends, on the parameters it keeps.
///
/// A run writes a ``Checkpoint`` every `checkpoint.every` steps and when it ends (completed or
/// stopped); ``restore(from:)`` continues from one with bit-identical results. On resume the
/// loss window restarts (the first metric line after it averages fewer steps); the log,
/// evaluation and checkpoint cadences stay on the global step.
public final class Trainer {
    public let setup: TrainingSetup
    private let backend: ShardBackend
    private let evaluator: LocalShardPool
    private let output: RunOutput
    private let master: Network
    private let optimizer: Optimizer
    private let schedule: LearningRateSchedule
    private let meanGradient: UnsafeMutableBufferPointer<Float>
    private let onePass = StepReducer.OnePass()
    /// SHA-256 of the frozen teacher at start ("" without one): checked at the end, stored in checkpoints.
    private let teacherSHA256: String
    /// Draws and augments the next step's batch while this one is computed.
    private let batches: BatchPrefetcher
    /// The next step's batch and tasks, once the backend took them ahead (``UpcomingStep``).
    private var announced: (batch: PreparedBatch, tasks: [ShardTask])?
    /// The teacher's logits per (sample, view), with `teacher.cache`.
    public let teacherCache: TeacherCache?
    /// Seconds spent inside the backend (computing or waiting for shards) since the start.
    public private(set) var shardSeconds = 0.0
    /// Seconds the shards' computation took since the start, summed over shards (as reported with each result).
    public private(set) var shardComputeSeconds = 0.0
    /// Prints one human line per log step and evaluation.
    public var report: (String) -> Void = { print($0) }
    /// Asked before every step; returning true stops the run cleanly after the current step.
    public var shouldStop: () -> Bool = { false }
    /// The global step ``run()`` starts at: 0, or the step of the restored checkpoint.
    public private(set) var startStep = 0
    private let clipping: GradientClipping
    /// The threads of the reduce, the gradient norm and the optimiser step: those of the
    /// evaluator pool (the machine's cores by default). The thread count changes no bit.
    private let parallelism: ElementwiseParallelism
    /// Channel counts of the student's BatchNorms, in layout order.
    private let batchNormChannels: [Int]
    private var divergenceGuard: DivergenceGuard
    /// Steps of this session whose mean gradient was clipped.
    public private(set) var clippedSteps = 0
    /// The refused step that stopped ``run()``, or nil.
    public private(set) var divergence: Divergence?
    /// Told about every step, log point, evaluation and the end (progress line, TensorBoard, status).
    public var observers: [TrainingObserver] = []
    /// Whether log points print their ``StepMetrics/human`` line through ``report`` (off while a
    /// live progress line shows the same figures).
    public var reportsLogLines = true
    /// The best validation accuracy so far and the evaluations since (restored from checkpoints).
    public private(set) var validationProgress = ValidationProgress()
    /// `train.early_stop_patience`.
    private let patience: Int

    /// A trainer writing into `output`, computing shards with `backend` and evaluating with `evaluator`.
    public init(setup: TrainingSetup, backend: ShardBackend, evaluator: LocalShardPool, output: RunOutput) throws {
        self.setup = setup
        self.backend = backend
        self.evaluator = evaluator
        self.output = output
        master = try Network(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes)
        master.bind(setup.student, gradients: nil)
        parallelism = evaluator.elementwise
        batchNormChannels = master.batchNorms.map(\.channels)
        (optimizer, schedule) = setup.makeOptimizer(decayRanges: master.layout.decayRanges, parallelism: parallelism)
        meanGradient = .allocate(capacity: max(master.layout.parameterCount, 1))
        teacherSHA256 = setup.teacher?.parameters.sha256() ?? ""
        batches = BatchPrefetcher(setup: setup)
        teacherCache = try setup.cachesTeacher ? setup.openTeacherCache(in: output.directory, notice: { print($0) }) : nil
        clipping = GradientClipping(config: setup.config)
        divergenceGuard = DivergenceGuard(config: setup.config)
        patience = setup.config.int("train.early_stop_patience")
    }

    deinit { meanGradient.deallocate() }

    /// Runs one optimiser step (global step `step`, 0-based) and returns its loss sums. Throws
    /// ``Divergence``, changing no parameter, statistic or optimiser state, when the guard refuses it.
    @discardableResult
    public func trainStep(_ step: Int) throws -> LossSums {
        let s = setup
        let (batch, tasks) = announced?.batch.step == step ? announced! : tasks(ofStep: step)
        announced = nil
        let epoch = batch.epoch
        let waitStarted = MonotonicClock.now()
        let results = try backend.compute(step: step, epoch: epoch, parameterVersion: step, parameters: s.student, tasks: tasks,
                                          upcoming: upcomingStep(after: step, epoch: epoch))
        shardSeconds += MonotonicClock.now() - waitStarted
        shardComputeSeconds += results.reduce(0) { $0 + $1.computeSeconds }
        teacherCache?.keep(results, tasks: tasks, samples: batch.samples, view: s.cacheView(epoch: epoch))
        let reduction: StepReducer.Reduction
        let learningRate = schedule.rate(atStep: step)
        func meanLoss(_ loss: LossSums) -> Double { loss.total / Double(max(loss.count, 1)) }
        if clipping.isOff, StepReducer.meanIsFinite(results) {
            // Nothing to measure before the update: reduce and step in one pass.
            reduction = try onePass.reduce(
                results, channels: batchNormChannels, applying: optimizer, learningRate: learningRate, to: s.student.values,
                parallelism: parallelism
            ) { loss in try divergenceGuard.check(step: step + 1, loss: meanLoss(loss), gradientIsFinite: true) }
        } else {
            reduction = StepReducer.reduce(results, channels: batchNormChannels, into: meanGradient, parallelism: parallelism)
            let clip = clipping.apply(to: meanGradient, sumOfSquares: reduction.sumOfSquares, parallelism: parallelism)
            try divergenceGuard.check(step: step + 1, loss: meanLoss(reduction.loss), gradientIsFinite: clip.norm.isFinite)
            if clip.clipped { clippedSteps += 1 }
            optimizer.step(parameters: s.student.values, gradients: UnsafeBufferPointer(meanGradient), learningRate: learningRate)
        }
        reduction.batchStatistics.withUnsafeBufferPointer { master.applyBatchStatistics($0.baseAddress!) }
        return reduction.loss
    }

    /// The batch of `step` and its tasks, with the teacher's cached logits attached.
    private func tasks(ofStep step: Int) -> (batch: PreparedBatch, tasks: [ShardTask]) {
        let batch = batches.batch(step: step)
        var tasks = batch.tasks
        teacherCache?.prepare(&tasks, samples: batch.samples, view: setup.cacheView(epoch: batch.epoch))
        return (batch, tasks)
    }

    /// The step after `step` offered to the backend, when it lies in the same epoch `epoch`:
    /// its samples are then not those of `step`, so attaching cached teacher logits before
    /// `step`'s logits are stored changes nothing. The tasks it hands out are kept for it.
    private func upcomingStep(after step: Int, epoch: Int) -> UpcomingStep? {
        let next = step + 1
        guard backend.takesUpcomingSteps, next < setup.totalSteps, next / setup.stepsPerEpoch == epoch else { return nil }
        return UpcomingStep(step: next, epoch: epoch, parameterVersion: next) { [unowned self] in
            announced = tasks(ofStep: next)
            return announced!.tasks
        }
    }

    /// Continues from `checkpoint`: sets the student values and statistics, the optimiser state
    /// and ``startStep``. Checks first, changing nothing when it throws ``CheckpointError``: the
    /// configuration hash, the run id (make the setup with `runID: checkpoint.runID`), the
    /// parameter, statistics and steps-per-epoch counts, the optimiser kind and buffers, and that
    /// the step lies within the run.
    public func restore(from checkpoint: Checkpoint) throws {
        let s = setup
        func incompatible(_ reason: String) -> CheckpointError { CheckpointError(path: checkpoint.source, problem: .incompatible(reason)) }
        try checkpoint.check(config: s.config)
        guard checkpoint.runID == s.runID else { throw incompatible("run id \(checkpoint.runID), this run has \(s.runID)") }
        guard checkpoint.teacherSHA256 == teacherSHA256 else {
            throw incompatible("the teacher's weights changed since the checkpoint (sha256 \(checkpoint.teacherSHA256.prefix(12))…, "
                + "now \(teacherSHA256.prefix(12))…)")
        }
        let layout = s.student.layout
        guard checkpoint.values.count == layout.parameterCount else {
            throw incompatible("\(checkpoint.values.count) parameters, the model has \(layout.parameterCount)")
        }
        guard checkpoint.state.count == layout.stateCount else {
            throw incompatible("\(checkpoint.state.count) running statistics, the model has \(layout.stateCount)")
        }
        guard checkpoint.stepsPerEpoch == s.stepsPerEpoch else {
            throw incompatible("\(checkpoint.stepsPerEpoch) steps per epoch, the data gives \(s.stepsPerEpoch)")
        }
        guard checkpoint.step <= s.totalSteps else { throw incompatible("step \(checkpoint.step) is past the run's \(s.totalSteps) steps") }
        do { try optimizer.restore(checkpoint.optimizer) } catch let error as OptimizerError { throw incompatible(error.description) }
        checkpoint.values.withUnsafeBufferPointer { s.student.values.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        checkpoint.state.withUnsafeBufferPointer { s.student.state.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        validationProgress = checkpoint.validation
        startStep = checkpoint.step
    }

    /// A checkpoint of the run after `step` completed steps.
    public func checkpoint(atStep step: Int) -> Checkpoint {
        let s = setup
        return Checkpoint(step: step, stepsPerEpoch: s.stepsPerEpoch, runID: s.runID, configSHA256: s.config.hash,
                          teacherSHA256: teacherSHA256,
                          values: Array(s.student.values[0..<s.student.layout.parameterCount]),
                          state: Array(s.student.state[0..<s.student.layout.stateCount]), optimizer: optimizer.state,
                          validation: validationProgress)
    }

    /// Runs every step from ``startStep``, evaluates, checkpoints, writes the outputs and returns
    /// the summary (its step count is the global one; speeds and bytes cover this session only).
    public func run() throws -> TrainingSummary {
        let s = setup
        let evalBatch = s.config.int("eval.batch_size")
        let teacherHash = s.teacher == nil ? nil : teacherSHA256
        let teacherAccuracy = s.teacher.map { _ in evaluator.evaluate(s.test, batchSize: evalBatch, teacher: true).accuracy }
        if let teacherAccuracy { report("teacher test accuracy \(percent(teacherAccuracy))") }
        if startStep == 0 { try output.begin(setup: s) } else { try output.resume(atStep: startStep) }
        for observer in observers { observer.runStarted(start: startStep, total: s.totalSteps, stepsPerEpoch: s.stepsPerEpoch) }
        let costAtStart = backend.networkCost ?? NetworkCost()
        let computeAtStart = shardComputeSeconds
        var window = LossSums.zero
        var windowSeconds = 0.0
        var totalSeconds = 0.0
        var totalSamples = 0
        var lastLoss = 0.0
        var validated: (step: Int, result: Evaluation)?
        var windowClipped = 0
        var windowStart = startStep
        var step = startStep
        var checkpointed = startStep
        let evalEvery = s.config.int("train.eval_every")
        let checkpointEvery = s.config.int("checkpoint.every")
        while step < s.totalSteps, !validationProgress.exhausted(patience: patience), !shouldStop() {
            let started = MonotonicClock.now()
            let loss: LossSums
            do { loss = try trainStep(step) } catch is RunInterrupted { break } catch let refused as Divergence {
                divergence = refused
                break
            }
            let elapsed = MonotonicClock.now() - started
            step += 1
            window = window + loss
            windowSeconds += elapsed
            totalSeconds += elapsed
            totalSamples += loss.count
            let done = CompletedStep(step: step, epoch: (step - 1) / s.stepsPerEpoch, loss: loss,
                                     learningRate: schedule.rate(atStep: step - 1), seconds: elapsed)
            for observer in observers { observer.stepFinished(done) }
            if step % s.config.int("train.log_every") == 0 || step == s.totalSteps {
                lastLoss = window.total / Double(window.count)
                let clippedInWindow = clippedSteps - windowClipped
                let line = StepMetrics(step: step, epoch: (step - 1) / s.stepsPerEpoch, loss: window,
                                       learningRate: schedule.rate(atStep: step - 1),
                                       samplesPerSecond: Double(window.count) / windowSeconds,
                                       clippedFraction: Double(clippedInWindow) / Double(max(step - windowStart, 1)))
                try output.append(line.record)
                if reportsLogLines { report(line.human) }
                for observer in observers { observer.logged(line) }
                window = .zero
                windowSeconds = 0
                windowClipped = clippedSteps
                windowStart = step
            }
            if let validation = s.validation,
               (evalEvery > 0 && step % evalEvery == 0) || (evalEvery == 0 && step % s.stepsPerEpoch == 0) || step == s.totalSteps {
                let e = evaluator.evaluate(validation, batchSize: evalBatch)
                validated = (step, e)
                let best = validationProgress.record(accuracy: e.accuracy, step: step)
                if best { try output.writeBest(setup: s) }
                let epoch = (step - 1) / s.stepsPerEpoch
                let record = EvaluationRecord(.validation, step: step, epoch: epoch, evaluation: e)
                try output.append(record)
                report("eval  step \(step)  epoch \(epoch)  validation accuracy \(percent(e.accuracy))  validation loss \(fmt(e.loss))"
                    + (best ? "  best so far" : "  (best \(percent(validationProgress.bestAccuracy)) at step \(validationProgress.bestStep ?? 0))"))
                for observer in observers { observer.evaluated(record) }
            }
            // The last step's checkpoint follows the outputs, so a final checkpoint implies complete outputs.
            if checkpointEvery > 0, step % checkpointEvery == 0, step < s.totalSteps {
                try teacherCache?.sync()
                try checkpoint(atStep: step).write(inDirectory: output.directory)
                checkpointed = step
            }
        }
        if let teacherHash, let t = s.teacher, t.parameters.sha256() != teacherHash {
            throw TrainingError.teacherChanged(expected: teacherHash, found: t.parameters.sha256())
        }
        // The test split, once, on the parameters the run keeps (a stopped run's too).
        let final = evaluator.evaluate(s.test, batchSize: evalBatch)
        let testRecord = EvaluationRecord(.test, step: step, epoch: max(step - 1, 0) / s.stepsPerEpoch, evaluation: final)
        try output.append(testRecord)
        for observer in observers { observer.evaluated(testRecord) }
        report("test  step \(step)  test accuracy \(percent(final.accuracy))  test loss \(fmt(final.loss))")
        let validation = s.validation.map { images in
            validated.flatMap { $0.step == step ? $0.result : nil } ?? evaluator.evaluate(images, batchSize: evalBatch)
        }
        let stopReason: StopReason = divergence?.stopReason ?? (step == s.totalSteps ? .completed
            : validationProgress.exhausted(patience: patience) ? .earlyStopped : .interrupted)
        if stopReason == .earlyStopped {
            report("early stop at step \(step): no better validation accuracy in \(patience) evaluations; "
                + "best \(percent(validationProgress.bestAccuracy)) at step \(validationProgress.bestStep ?? 0) is in \(RunOutput.bestFileName)")
        }
        let stepsRun = Double(max(step - startStep, 1))
        let measured = step > startStep
        let overhead: Double = totalSeconds > 0
            ? (totalSeconds - shardSeconds + (backend.networkCost?.serializationSeconds ?? 0) - costAtStart.serializationSeconds) / totalSeconds : 0
        let bytesSent: Double? = backend.networkCost.map { Double($0.bytesSent - costAtStart.bytesSent) / stepsRun }
        let bytesReceived: Double? = backend.networkCost.map { Double($0.bytesReceived - costAtStart.bytesReceived) / stepsRun }
        let bestValidation: Double? = validationProgress.bestStep.map { _ in validationProgress.bestAccuracy }
        let cacheReport: TeacherCacheReport? = teacherCache.map { TeacherCacheReport(counts: $0.counts) }
        let summary = TrainingSummary(
            steps: step, epochs: Double(step) / Double(s.stepsPerEpoch), trainLoss: lastLoss,
            testAccuracy: final.accuracy, teacherTestAccuracy: teacherAccuracy,
            samplesPerSecond: totalSeconds > 0 ? Double(totalSamples) / totalSeconds : 0,
            paramsSHA256: s.student.sha256(), teacherParamsSHA256: teacherHash,
            shards: s.shards, completed: step == s.totalSteps,
            coordinatorOverheadFraction: overhead,
            stepSeconds: measured ? totalSeconds / stepsRun : nil,
            shardComputeSecondsPerStep: measured ? (shardComputeSeconds - computeAtStart) / stepsRun : nil,
            bytesSentPerStep: bytesSent,
            bytesReceivedPerStep: bytesReceived,
            security: backend.securityReport,
            stoppedReason: stopReason,
            clippedFraction: Double(clippedSteps) / stepsRun,
            teacherCache: cacheReport,
            validationAccuracy: validation?.accuracy,
            bestValidationAccuracy: bestValidation,
            bestStep: validationProgress.bestStep)
        try teacherCache?.sync()
        if let counts = teacherCache?.counts {
            report("teacher cache: \(counts.hits) entries used, \(counts.stored) stored, \(counts.corrupt) corrupt entries recomputed")
        }
        try output.finish(setup: s, summary: summary)
        if step != checkpointed || step == 0 { try checkpoint(atStep: step).write(inDirectory: output.directory) }
        let state: RunState = divergence != nil ? .diverged : (step == s.totalSteps ? .finished : .stopped)
        for observer in observers { observer.runEnded(state, step: step) }
        return summary
    }
}

/// Why a run failed after it started.
public enum TrainingError: Error, CustomStringConvertible {
    case teacherChanged(expected: String, found: String)

    public var description: String {
        switch self {
        case let .teacherChanged(expected, found):
            return "the frozen teacher's parameters changed during training (sha256 \(expected) → \(found))"
        }
    }
}

func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
func fmt(_ x: Double) -> String { String(format: "%.4f", x) }
