/// The KD step on one shard, for one thread: teacher inference (inference-mode BatchNorm, no
/// gradient) and the student's forward and backward pass. The distributed worker and the
/// single-process trainer both call exactly this.
///
/// The executor owns one student replica with its own gradient buffers and one teacher
/// replica without gradients, both bound to parameters shared with other executors. A result's
/// gradients are read where the student wrote them (``GradientBuffers``): not cleared before,
/// not copied after.
public final class ShardExecutor {
    /// The student replica (bound to the shared student parameters).
    public let student: Network
    /// The frozen teacher replica, BatchNorm folded and activations fused
    /// (``Network/foldedForInference()``), or nil for plain training.
    public let teacher: Network?
    private let objective: DistillationObjective
    private let normalization: Normalization
    private let seed: UInt64
    /// How results carry gradients: under bfloat16 each shard's gradient sum is rounded here.
    public let gradientEncoding: GradientEncoding
    /// Where the student writes its gradients, and results read them.
    private var gradientBuffers: GradientBuffers
    /// The shared parameters the student is bound to (kept to bind it to another gradient buffer).
    private let studentParameters: ModelParameters
    /// The batch-statistics array of the last result, refilled in place when no earlier result
    /// still holds it (the trainer and the worker drop results after each step).
    private var resultStatistics: [Float] = []
    private let input = Tensor(shape: [0])
    private let dLogits = Tensor(shape: [0])
    /// The teacher's logits for the shard: brought by the task (from the coordinator's cache) or computed.
    private let shardTeacherLogits = Tensor(shape: [0])
    /// One zero-padded chunk of ``teacherChunk`` normalised images for the teacher (OpenBLAS only).
    private let teacherInput = Tensor(shape: [0])

    /// Samples per teacher forward pass under OpenBLAS. Every such pass takes exactly this many
    /// images (the last chunk of a shard padded with zeros), so every teacher GEMM has the same
    /// row count and each sample fills whole BLAS tiles: a sample's teacher logits are bit for
    /// bit the same whichever shard, position or batch mates it comes with, which is what lets
    /// cached logits equal recomputed ones (OpenBLAS rounds edge tiles differently from full
    /// ones). Distill's own kernel has that property for any row count
    /// (``BLAS/rowsAreIndependent``), so there the teacher takes the whole shard in one pass:
    /// GEMMs of 64 rows instead of 32 read each weight half as often (the MLP teacher's step
    /// phase went from 6.4 to 4.4 ms).
    public static let teacherChunk = 32

    /// Number of classes: labels must lie in `0..<classes`.
    public let classes: Int
    /// `[classes]`, the per-sample shape of logits (kept, so resizing to it allocates nothing).
    private let classShape: [Int]
    /// Time spent in each phase of the shards this executor computed.
    public internal(set) var phaseSeconds = ShardPhaseSeconds()
    /// The student's Dense layers, in layout order.
    let denseLayers: [Dense]
    /// When true, the student's Dense layers leave their kernel gradients to the caller
    /// (``Dense/deferredKernelGradient``) and results come back unscanned: ``LocalShardPool``
    /// sums the shards' kernel gradients itself (``KernelGradientFold``), then scans the sum.
    var defersKernelGradients = false {
        didSet { for dense in denseLayers { dense.defersKernelGradient = defersKernelGradients } }
    }
    /// When false, results come back unscanned (``FloatValues/checkedMagnitude`` nil): in a
    /// worker, whose coordinator scans whatever it receives, the scan would be a wasted read.
    var scansGradients = true
    /// The gradient buffer the student wrote the last shard into.
    private(set) var lastGradients: UnsafeMutableBufferPointer<Float>?

    /// An executor for `studentSpec` (bound to `studentParameters`) distilled from the
    /// optional frozen `teacher` (spec and parameters). Its results carry gradients in
    /// `gradientEncoding` (rounded to bfloat16 for ``GradientEncoding/bfloat16``). With
    /// `sharedGradients`, its kept gradient buffers lie at those offsets of that region (a
    /// local-mode worker's, read in place by the coordinator). With `teacherSibling`, another
    /// executor's ``teacher`` folded from the same teacher, this one's replica reads its folded
    /// values and packed kernels (``Network/shareFoldedWeights(with:)``).
    /// - Throws: ``ModelSpecError`` for a spec that does not fit `inputShape` and `classes`,
    ///   ``ShardExecutorError/badObjective(temperature:alpha:)``, `DataError.badNormalization`.
    public init(
        studentSpec: ModelSpec, studentParameters: ModelParameters,
        teacher: (spec: ModelSpec, parameters: ModelParameters)?,
        inputShape: [Int], classes: Int,
        objective: DistillationObjective, normalization: Normalization, seed: UInt64,
        gradientEncoding: GradientEncoding = .float32,
        sharedGradients: (region: SharedMemoryRegion, offsets: [Int])? = nil,
        teacherSibling: Network? = nil
    ) throws {
        guard objective.temperature.isFinite, objective.temperature > 0, (0...1).contains(objective.alpha) else {
            throw ShardExecutorError.badObjective(temperature: objective.temperature, alpha: objective.alpha)
        }
        student = try Network(spec: studentSpec, inputShape: inputShape, classes: classes)
        denseLayers = student.denseLayers
        gradientBuffers = GradientBuffers(count: student.layout.parameterCount, student: student, parameters: studentParameters,
                                          shared: sharedGradients)
        self.studentParameters = studentParameters
        if let teacher {
            let t = try Network(spec: teacher.spec, inputShape: inputShape, classes: classes)
            t.bind(teacher.parameters, gradients: nil)
            let folded = t.foldedForInference()
            if let teacherSibling { folded.shareFoldedWeights(with: teacherSibling) }
            self.teacher = folded
        } else {
            self.teacher = nil
        }
        try normalization.validate(channels: inputShape[2], source: "the run's input normalisation")
        self.classes = classes
        classShape = [classes]
        self.objective = objective
        self.normalization = normalization
        self.seed = seed
        self.gradientEncoding = gradientEncoding
    }

    /// Checks that `task` can be computed for global step `step`: a non-negative step and sample
    /// offset, at least one sample, images of the model's input shape with exactly `count` of
    /// them and of their labels, and every label in `0..<classes`.
    /// - Throws: ``ShardExecutorError/badShard(shard:detail:)`` naming the field and value.
    public func validate(_ task: ShardTask, step: Int) throws {
        func fail(_ detail: String) -> ShardExecutorError { .badShard(shard: task.shardIndex, detail: detail) }
        guard step >= 0 else { throw fail("step \(step) is negative") }
        guard task.sampleOffset >= 0 else { throw fail("sample offset \(task.sampleOffset) is negative") }
        guard task.count > 0 else { throw fail("holds \(task.count) samples, expected at least 1") }
        let expected = student.inputShape
        guard expected.count == 3, task.height == expected[0], task.width == expected[1], task.channels == expected[2] else {
            throw fail("holds \([task.height, task.width, task.channels]) images, the model takes \(expected)")
        }
        let shape = expected
        let (bytes, overflow) = task.count.multipliedReportingOverflow(by: student.inputShape.reduce(1, *))
        guard !overflow, task.images.count == bytes else {
            throw fail("holds \(task.images.count) image bytes, \(task.count) images of \(shape) need \(overflow ? "more than Int.max" : String(bytes))")
        }
        guard task.labels.count == task.count else { throw fail("holds \(task.labels.count) labels for \(task.count) samples") }
        if let i = task.labels.firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
            throw fail("label \(task.labels[i]) of sample \(i) is outside 0..<\(classes)")
        }
        if !task.teacherLogits.isEmpty || task.returnsTeacherLogits {
            guard teacher != nil, objective.alpha > 0 else { throw fail("brings or asks for teacher logits, but this run uses no teacher") }
        }
        if !task.teacherLogits.isEmpty {
            guard task.teacherLogits.count == task.count * classes else {
                throw fail("holds \(task.teacherLogits.count) teacher logits, \(task.count) samples of \(classes) classes need \(task.count * classes)")
            }
            if let i = task.teacherLogits.firstIndex(where: { !$0.isFinite }) {
                throw fail("teacher logit \(i) is \(task.teacherLogits[i])")
            }
        }
    }

    /// Runs one shard of global step `step` and returns its sums, after ``validate(_:step:)``.
    ///
    /// Dropout masks are keyed by (seed, step, global sample index), so the result does not
    /// depend on which executor, thread or worker runs the shard.
    public func run(_ task: ShardTask, step: Int) throws -> ShardResult {
        try validate(task, step: step)
        return compute(validated: task, step: step)
    }

    /// The teacher's half of ``compute(validated:step:)``, run ahead of the student's: `task`
    /// (which passed ``validate(_:step:)``) with the teacher's logits in
    /// ``ShardTask/teacherLogits``. Computing the returned task then runs the student alone,
    /// with the bits of computing `task` in one go, and still returns the logits when `task`
    /// asks for them. A task that brings logits, or a run without a teacher, comes back as it is.
    func withTeacherLogits(_ task: ShardTask) -> ShardTask {
        guard task.teacherLogits.isEmpty, let teacher, objective.alpha > 0 else { return task }
        let started = MonotonicClock.now()
        loadImages(task.images, count: task.count)
        let logits = chunkedTeacherLogits(teacher, count: task.count)
        var ahead = task
        ahead.teacherLogits = Array(UnsafeBufferPointer(start: logits.pointer, count: task.count * classes))
        phaseSeconds.teacher += MonotonicClock.now() - started
        return ahead
    }

    /// ``run(_:step:)`` for a task that passed ``validate(_:step:)`` (the layers and the loss keep
    /// preconditions only for what it checks).
    func compute(validated task: ShardTask, step: Int) -> ShardResult {
        let started = MonotonicClock.now()
        var clock = started
        func lap(_ phase: WritableKeyPath<ShardPhaseSeconds, Double>) {
            let now = MonotonicClock.now()
            phaseSeconds[keyPath: phase] += now - clock
            clock = now
        }
        loadImages(task.images, count: task.count)
        lap(\ShardPhaseSeconds.input)
        var loss = LossSums.zero
        var returned: [Float] = []
        task.labels.withUnsafeBufferPointer { labels in
            let teacherLogits: Tensor?
            if !task.teacherLogits.isEmpty {
                shardTeacherLogits.resize(batch: task.count, item: classShape)
                task.teacherLogits.withUnsafeBufferPointer { shardTeacherLogits.pointer.update(from: $0.baseAddress!, count: $0.count) }
                teacherLogits = shardTeacherLogits
                if task.returnsTeacherLogits { returned = task.teacherLogits }
            } else if let teacher, objective.alpha > 0 {
                teacherLogits = chunkedTeacherLogits(teacher, count: task.count)
                if task.returnsTeacherLogits {
                    returned = Array(UnsafeBufferPointer(start: teacherLogits!.pointer, count: task.count * classes))
                }
            } else {
                teacherLogits = nil
            }
            lap(\ShardPhaseSeconds.teacher)
            let random = KeyedRandom(seed: seed, RandomStream.dropout, UInt64(step))
            let logits = student.forward(input, mode: .training(random: random, sampleOffset: task.sampleOffset))
            lap(\ShardPhaseSeconds.studentForward)
            if let teacherLogits {
                loss = distillationLoss(studentLogits: logits, teacherLogits: teacherLogits, labels: labels,
                                        temperature: objective.temperature, alpha: objective.alpha,
                                        gradient: dLogits, gradientScale: 1)
            } else {
                loss = softmaxCrossEntropy(logits: logits, labels: labels, gradient: dLogits, gradientScale: 1)
            }
        }
        lap(\ShardPhaseSeconds.loss)
        let gradients = gradientBuffers.writable(for: student, parameters: studentParameters)
        student.backward(dLogits)
        if gradientEncoding == .bfloat16 { BFloat16.round(gradients.values) }
        if resultStatistics.count != student.batchStatisticsCount {
            resultStatistics = [Float](repeating: 0, count: student.batchStatisticsCount)
        }
        resultStatistics.withUnsafeMutableBufferPointer { student.collectBatchStatistics(into: $0.baseAddress!) }
        // Read in place, and checked: gradients within the bound a coordinator accepts let the
        // trainer reduce and step in one pass (StepReducer).
        var resultValues = FloatValues(buffer: gradients)
        lastGradients = gradients.values
        if scansGradients && !defersKernelGradients { _ = resultValues.verifyMagnitudes(within: ResultShape.maxMagnitude) }
        lap(\ShardPhaseSeconds.studentBackward)
        return ShardResult(
            shardIndex: task.shardIndex, loss: loss, batchStatistics: resultStatistics,
            gradients: resultValues,
            computeSeconds: MonotonicClock.now() - started, gradientEncoding: gradientEncoding, teacherLogits: returned)
    }

    /// The teacher's inference-mode logits for the `count` images in `input`, into
    /// ``shardTeacherLogits``: in one pass, or in zero-padded chunks of ``teacherChunk`` images
    /// when the kernel's rows depend on the row count.
    private func chunkedTeacherLogits(_ teacher: Network, count: Int) -> Tensor {
        // input: [count, H, W, C] -> logits: [count, classes], via chunks [teacherChunk, H, W, C] -> [teacherChunk, classes]
        if BLAS.rowsAreIndependent {
            let logits = teacher.forward(input, mode: .inference)
            shardTeacherLogits.resize(batch: count, item: classShape)
            shardTeacherLogits.pointer.update(from: logits.pointer, count: count * classes)
            return shardTeacherLogits
        }
        let shape = student.inputShape
        let imageFloats = shape.reduce(1, *)
        let chunk = ShardExecutor.teacherChunk
        shardTeacherLogits.resize(batch: count, item: classShape)
        teacherInput.resize(to: [chunk] + shape)
        var first = 0
        while first < count {
            let samples = min(chunk, count - first)
            teacherInput.pointer.update(from: input.pointer + first * imageFloats, count: samples * imageFloats)
            (teacherInput.pointer + samples * imageFloats).update(repeating: 0, count: (chunk - samples) * imageFloats)
            let logits = teacher.forward(teacherInput, mode: .inference)
            (shardTeacherLogits.pointer + first * classes).update(from: logits.pointer, count: samples * classes)
            first += samples
        }
        return shardTeacherLogits
    }

    /// Inference-mode logits of `network` (the student or the teacher replica) for `count`
    /// uint8 NHWC images of the model's input shape (a precondition: callers pass a ``Dataset``
    /// whose shape they checked against the model). The result is a workspace of the network.
    public func logits(of network: Network, images: UnsafePointer<UInt8>, count: Int) -> Tensor {
        loadImages(UnsafeBufferPointer(start: images, count: count * student.inputShape.reduce(1, *)), count: count)
        return network.forward(input, mode: .inference)
    }

    private func loadImages(_ images: [UInt8], count: Int) {
        images.withUnsafeBufferPointer { loadImages($0, count: count) }
    }

    private func loadImages(_ images: UnsafeBufferPointer<UInt8>, count: Int) {
        let shape = student.inputShape
        let imageBytes = shape.reduce(1, *)
        precondition(images.count >= count * imageBytes, "shard holds \(images.count) bytes for \(count) images of \(shape)")
        input.resize(batch: count, item: shape)
        normalization.apply(images.baseAddress!, count: count, imageBytes: imageBytes, channels: shape[2], into: input.pointer)
    }
}
