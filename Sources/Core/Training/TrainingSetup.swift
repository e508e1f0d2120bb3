/// Everything a run needs before its first step, derived from a ``RunConfig``: data, models,
/// initial parameters, the frozen teacher, the objective and the shard plan. The single-process
/// trainer and the distributed coordinator share it.
public final class TrainingSetup {
    /// The configuration with `train.shards` resolved.
    public private(set) var config: RunConfig
    /// The images trained on: the training split less the validation images.
    public let train: Dataset
    /// The training images held out by `data.validation` (nil when it is 0), evaluated during the run.
    public let validation: Dataset?
    /// The test split, evaluated once at the end of a run.
    public let test: Dataset
    /// Per-sample input shape, HWC.
    public let inputShape: [Int]
    public let classes: Int
    public let studentSpec: ModelSpec
    /// The master student parameters (updated by the optimiser): on the heap, or in local mode
    /// in the run's shared parameters region (``moveStudentToSharedMemory(folder:)``).
    public private(set) var student: ModelParameters
    /// The frozen teacher, when distilling.
    public let teacher: ModelFile?
    public let objective: DistillationObjective
    public let normalization: Normalization
    public let augmentation: Augmentation
    /// `teacher.safetensors` or `student.safetensors`.
    public let role: String
    /// Micro-shards per batch, fixed for the run (see ``followWorkers(threads:)``).
    public private(set) var shards: Int
    /// Identifies the run to workers; a resumed run keeps the one in its checkpoint.
    public let runID: UInt64

    /// Loads data and models. `parallelism` (threads or workers) picks the default shard count;
    /// `runID` is random for a new run and ``Checkpoint/runID`` for a resumed one.
    /// - Throws: ``ConfigError`` (a rule between keys, a teacher that does not fit the data),
    ///   `DataError`, ``ModelSpecError``, ``ModelFileError``: all before anything is written.
    public init(config: RunConfig, parallelism: Int, runID: UInt64 = .random(in: 1...UInt64.max)) throws {
        try config.validate(source: "configuration")
        self.runID = runID
        let loaded = try DataSource.load(config)
        test = loaded.test
        (train, validation) = try ValidationSplit.apply(to: loaded.train, config: config)
        inputShape = [train.height, train.width, train.channels]
        classes = max(loaded.train.classes, test.classes)
        studentSpec = try ModelSpec.load(config.string("model.spec"))
            .withDefaultInit(config.choice("model.init", as: WeightInit.self))
        let checkpoint = config.string("teacher.checkpoint")
        if checkpoint.isEmpty {
            teacher = nil
            normalization = config.bool("data.normalize") ? Normalization.fit(train) : Normalization.unit(channels: train.channels)
            objective = .plain
        } else {
            let t = try ModelFile.read(ModelFile.resolve(checkpoint))
            guard t.inputShape == inputShape, t.classes == classes else {
                throw ConfigError.invalid(source: "teacher.checkpoint",
                                          detail: "teacher expects \(t.inputShape) images and \(t.classes) classes, the data has \(inputShape) and \(classes)")
            }
            teacher = t
            // The teacher was trained on inputs normalised its way; the student sees the same inputs.
            normalization = t.normalization
            objective = DistillationObjective(temperature: config.float("distill.temperature"), alpha: config.float("distill.alpha"))
        }
        switch config.choice("model.role", as: ModelRole.self) {
        case .auto: role = teacher == nil ? ModelRole.teacher.rawValue : ModelRole.student.rawValue
        case let chosen: role = chosen.rawValue
        }
        let network: Network
        do { network = try Network(spec: studentSpec, inputShape: inputShape, classes: classes) } catch let error as ModelSpecError {
            throw ConfigError.invalid(source: "model.spec=\(config.string("model.spec"))", detail: "\(error)")
        }
        student = ModelParameters(layout: network.layout)
        student.initialize(seed: UInt64(config.int("seed")))
        // ConfigSchema bounds the shifts to [0, 1), pad_crop to 0…1024 and fill_value to 0…255.
        augmentation = Augmentation(
            widthShift: config.float("augment.width_shift"), heightShift: config.float("augment.height_shift"),
            fill: config.choice("augment.fill", as: Augmentation.FillName.self) == .nearest ? .nearest : .constant(UInt8(config.int("augment.fill_value"))),
            horizontalFlip: config.bool("augment.horizontal_flip"), padCrop: config.int("augment.pad_crop"))
        let topK = config.int("teacher.cache_top_k")
        guard topK < classes else {
            throw ConfigError.invalid(source: "teacher.cache_top_k",
                                      detail: "\(topK) keeps every one of the \(classes) classes; use 0 to store every logit exactly, or a k below \(classes)")
        }
        let configuredShards = config.int("train.shards")
        configured = configuredShards > 0
        shards = configuredShards > 0 ? configuredShards : max(parallelism, 1)
        // The shard count decides the results, so the resolved configuration records it.
        var resolved = config
        try resolved.set("train.shards", text: String(shards), source: "resolved configuration")
        self.config = resolved
    }

    /// Whether `train.shards` was left at 0 (automatic): the shard count may then follow the workers.
    public var shardsAutomatic: Bool { !configured }
    private var configured: Bool

    /// Fixes the shard count of a distributed run whose `train.shards` is 0 to the compute threads
    /// of its first workers together (capped by the batch size), and records it in the resolved
    /// configuration. Call before the first step.
    /// - Throws: ``ConfigError`` when `train.shards` was set explicitly.
    public func followWorkers(threads: [Int]) throws {
        guard !configured else {
            throw ConfigError.invalid(source: "train.shards", detail: "is \(shards) in the configuration; the shard count cannot also follow the workers")
        }
        shards = min(max(threads.reduce(0, +), 1), batchSize)
        try config.set("train.shards", text: String(shards), source: "resolved configuration")
        configured = true
    }

    /// Augmented views per sample (`augment.views`; 0: a fresh augmentation every epoch).
    public var views: Int { config.int("augment.views") }

    /// The augmentation coordinate of `epoch`: the epoch itself, or with K views the view `epoch mod K`.
    public func augmentationRound(epoch: Int) -> Int { views > 0 ? epoch % views : epoch }

    /// Whether the teacher's logits are cached (`teacher.cache`).
    public var cachesTeacher: Bool { config.bool("teacher.cache") && teacher != nil }

    /// Distinct teacher inputs per sample the cache holds: the views, or 1 without augmentation.
    public var cacheViews: Int { max(views, 1) }

    /// The cache view of `epoch` (0 without views: augmentation is off, every epoch sees the same images).
    public func cacheView(epoch: Int) -> Int { views > 0 ? epoch % views : 0 }

    /// Opens (or makes) the run's teacher cache, `directory/teacher.cache`; `notice` hears what was reused or rebuilt.
    /// - Throws: ``IOError`` when the file cannot be created or mapped.
    public func openTeacherCache(in directory: String, notice: (String) -> Void) throws -> TeacherCache {
        try TeacherCache(path: directory + "/teacher.cache", identity: TeacherCacheIdentity(setup: self), classes: classes,
                         topK: config.int("teacher.cache_top_k"), temperature: objective.temperature,
                         trainCount: train.count, views: cacheViews, notice: notice)
    }

    /// Optimiser steps in one epoch (the last batch of an epoch may be smaller).
    public var stepsPerEpoch: Int { (train.count + batchSize - 1) / batchSize }
    /// Global batch size.
    public var batchSize: Int { config.int("train.batch_size") }
    /// Total optimiser steps: `train.steps` when set, else `train.epochs` epochs.
    public var totalSteps: Int {
        let steps = config.int("train.steps")
        return steps > 0 ? steps : config.int("train.epochs") * stepsPerEpoch
    }

    /// Moves the master student's values into a new file, `folder`'s parameters region
    /// (``SharedMemoryRegion/parametersPath(folder:)``), and returns it. A local-mode coordinator
    /// given that region (``CoordinatorServer/Options/sharedParameters``) publishes each version
    /// where the optimiser wrote it, where its workers' students read it: no copy between steps.
    /// Call it before anything binds to ``student`` (executors, trainers): the object is replaced.
    /// - Throws: ``IOError`` when the file cannot be made (e.g. a full `/dev/shm`); the master
    ///   then stays where it was.
    public func moveStudentToSharedMemory(folder: String) throws -> SharedMemoryRegion {
        let layout = student.layout
        let region = try SharedMemoryRegion(creating: SharedMemoryRegion.parametersPath(folder: folder), bytes: 4 * layout.parameterCount)
        let moved = ModelParameters(layout: layout, values: region.mutableFloats(offset: 0, count: layout.parameterCount), keeping: region)
        moved.copy(from: student)
        student = moved
        return region
    }

    /// A new executor (one per thread) bound to the master student and the teacher. The
    /// executors of one setup share one folded teacher's values and packed kernels (each keeps
    /// its own activations): one copy in the caches, however many threads.
    public func makeExecutor() throws -> ShardExecutor {
        let executor = try ShardExecutor(studentSpec: studentSpec, studentParameters: student,
                                         teacher: teacher.map { ($0.spec, $0.parameters) },
                                         inputShape: inputShape, classes: classes, objective: objective,
                                         normalization: normalization, seed: UInt64(config.int("seed")), gradientEncoding: gradientEncoding,
                                         teacherSibling: foldedTeacher)
        foldedTeacher = foldedTeacher ?? executor.teacher
        return executor
    }

    /// The folded teacher of the first executor still alive, which later ones share.
    private weak var foldedTeacher: Network?

    /// How shard results carry gradients (`train.wire_gradients`; the schema allows only known names).
    public var gradientEncoding: GradientEncoding { GradientEncoding(configName: config.string("train.wire_gradients")) ?? .float32 }

    /// The optimiser and schedule the configuration names; the optimiser's steps run on
    /// `parallelism`'s threads.
    public func makeOptimizer(decayRanges: [Range<Int>], parallelism: ElementwiseParallelism = .serial)
        -> (Optimizer, LearningRateSchedule) {
        let n = student.layout.parameterCount
        let wd = config.float("optimizer.weight_decay")
        let optimizer: Optimizer
        switch config.choice("optimizer.name", as: OptimizerName.self) {
        case .sgd:
            optimizer = SGD(parameterCount: n, momentum: config.float("optimizer.momentum"), nesterov: config.bool("optimizer.nesterov"),
                            weightDecay: wd, decayMask: decayRanges, parallelism: parallelism)
        case .adamw:
            optimizer = AdamW(parameterCount: n, beta1: config.float("optimizer.beta1"), beta2: config.float("optimizer.beta2"),
                              epsilon: config.float("optimizer.epsilon"), weightDecay: wd, decayMask: decayRanges, parallelism: parallelism)
        case .adam:
            optimizer = Adam(parameterCount: n, beta1: config.float("optimizer.beta1"), beta2: config.float("optimizer.beta2"),
                             epsilon: config.float("optimizer.epsilon"), weightDecay: wd, decayMask: decayRanges, parallelism: parallelism)
        }
        let rate = config.float("optimizer.learning_rate")
        let schedule: LearningRateSchedule
        switch config.choice("optimizer.schedule", as: ScheduleName.self) {
        case .step: schedule = .step(rate: rate, every: config.int("optimizer.step_every"), gamma: config.float("optimizer.step_gamma"))
        case .cosine:
            schedule = .cosine(rate: rate, warmupSteps: config.int("optimizer.warmup_steps"), totalSteps: totalSteps,
                               minimumRate: config.float("optimizer.min_learning_rate"))
        case .constant: schedule = .constant(rate: rate)
        }
        return (optimizer, schedule)
    }
}

extension ModelFile {
    /// The model file for `path`: the path itself, or inside a run folder its
    /// `teacher.safetensors` or `student.safetensors`.
    public static func resolve(_ path: String) throws -> String {
        if !FileSystem.isDirectory(path) { return path }
        for name in ["teacher.safetensors", "student.safetensors"] where FileSystem.exists(path + "/" + name) {
            return path + "/" + name
        }
        throw ModelFileError(path: path, detail: "folder holds neither teacher.safetensors nor student.safetensors")
    }
}
