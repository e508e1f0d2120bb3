import Foundation

/// The per-step and per-run records a training run writes.
public struct StepMetrics {
    public var step: Int
    public var epoch: Int
    public var loss: LossSums
    public var learningRate: Float
    public var samplesPerSecond: Double
    /// Fraction of the steps since the last line whose mean gradient was clipped.
    public var clippedFraction: Double

    public init(step: Int, epoch: Int, loss: LossSums, learningRate: Float, samplesPerSecond: Double, clippedFraction: Double) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.learningRate = learningRate
        self.samplesPerSecond = samplesPerSecond
        self.clippedFraction = clippedFraction
    }

    /// Its `metrics.jsonl` line (losses, accuracy and `clipped_fraction` are over the steps since the last line).
    public var record: StepRecord {
        let n = Double(max(loss.count, 1))
        return StepRecord(kind: "step", step: step, epoch: epoch, loss: loss.total / n, hardLoss: loss.hard / n, softLoss: loss.soft / n,
                          trainAccuracy: Double(loss.correct) / n, learningRate: learningRate, samplesPerSecond: samplesPerSecond,
                          clippedFraction: clippedFraction)
    }

    /// One line for people.
    public var human: String {
        let n = Double(max(loss.count, 1))
        return String(format: "step %6d  epoch %3d  loss %.4f  train acc %6.2f%%  lr %.5f  %7.1f samples/s",
                      step, epoch, loss.total / n, 100 * Double(loss.correct) / n, learningRate, samplesPerSecond)
    }
}

/// What `summary.json` holds at the end of a run.
public struct TrainingSummary: Codable, Equatable, Sendable {
    public var steps: Int
    public var epochs: Double
    public var trainLoss: Double
    public var testAccuracy: Double
    public var teacherTestAccuracy: Double?
    public var samplesPerSecond: Double
    public var paramsSHA256: String
    public var teacherParamsSHA256: String?
    public var shards: Int
    /// False when the run was stopped (signal, divergence) before its last step.
    public var completed: Bool
    /// Fraction of the step time spent outside the shard backend: batch drawing, augmentation,
    /// sharding, reduction, optimiser and (distributed) serialisation of tasks.
    public var coordinatorOverheadFraction: Double
    /// Mean wall-clock seconds per step of this session.
    public var stepSeconds: Double?
    /// Seconds the shards' own computation took per step, summed over shards (what workers or
    /// threads report; the rest of a distributed step is communication, waiting and coordination).
    public var shardComputeSecondsPerStep: Double?
    /// Network bytes per step (distributed runs only).
    public var bytesSentPerStep: Double?
    public var bytesReceivedPerStep: Double?
    /// Rejected results and audits (distributed runs only).
    public var security: SecurityReport?

    // MARK: Training health: how the run ended and how often it clipped
    /// Why the run ended (absent in folders written before it existed).
    public var stoppedReason: StopReason?
    /// Fraction of this session's steps whose mean gradient was clipped (0 with clipping off).
    public var clippedFraction: Double?
    /// Teacher-cache entries used, stored and found corrupt in this session (with `teacher.cache` only).
    public var teacherCache: TeacherCacheReport? = nil

    // MARK: Validation (absent with data.validation 0, and in folders written before it existed)
    /// Validation accuracy of the final parameters (those of `params_sha256` and `test_accuracy`).
    public var validationAccuracy: Double?
    /// The best validation accuracy of the run, the one `best.safetensors` holds the weights of.
    public var bestValidationAccuracy: Double?
    /// The step of ``bestValidationAccuracy``.
    public var bestStep: Int?

    enum CodingKeys: String, CodingKey {
        case teacherCache = "teacher_cache"
        case stoppedReason = "stopped_reason"
        case clippedFraction = "clipped_fraction"
        case validationAccuracy = "validation_accuracy"
        case bestValidationAccuracy = "best_validation_accuracy"
        case bestStep = "best_step"
        case steps, epochs, shards, completed, security
        case coordinatorOverheadFraction = "coordinator_overhead_fraction"
        case stepSeconds = "step_seconds"
        case shardComputeSecondsPerStep = "shard_compute_seconds_per_step"
        case bytesSentPerStep = "bytes_sent_per_step"
        case bytesReceivedPerStep = "bytes_received_per_step"
        case trainLoss = "train_loss"
        case testAccuracy = "test_accuracy"
        case teacherTestAccuracy = "teacher_test_accuracy"
        case samplesPerSecond = "samples_per_s"
        case paramsSHA256 = "params_sha256"
        case teacherParamsSHA256 = "teacher_params_sha256"
    }

    /// Reads a `summary.json`.
    public static func read(_ path: String) throws -> TrainingSummary {
        try RunRecordJSON.decoder().decode(TrainingSummary.self, from: Data(try AtomicFile.read(path)))
    }
}

/// `summary.json` key `teacher_cache`: what the run's teacher cache did in this session.
public struct TeacherCacheReport: Codable, Equatable, Sendable {
    /// Entries found valid and sent instead of running the teacher.
    public var hits: Int
    /// Entries computed by the teacher and stored.
    public var stored: Int
    /// Entries whose checksum failed; they were recomputed and stored again.
    public var corrupt: Int

    public init(hits: Int, stored: Int, corrupt: Int) {
        self.hits = hits
        self.stored = stored
        self.corrupt = corrupt
    }

    init(counts: TeacherCache.Counts) { self.init(hits: counts.hits, stored: counts.stored, corrupt: counts.corrupt) }
}

/// The output folder of a run (`--out DIR`): `config.yaml`, `metrics.jsonl`, the model
/// weights (`teacher.safetensors` or `student.safetensors`) with their spec (`.yaml`),
/// `best.safetensors` (the weights of the best validation accuracy), `summary.json`, and the
/// run's checkpoints (see ``Checkpoint``). Everything but the metrics log is written atomically.
public final class RunOutput {
    /// The folder.
    public let directory: String
    private var metrics: FileHandle?

    /// Creates the folder (and parents) if needed.
    public init(directory: String) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ConfigError.invalid(source: "--out \(directory)", detail: "cannot create the output folder: \(error.localizedDescription)")
        }
    }

    /// Path of `name` inside the folder.
    public func path(_ name: String) -> String { directory + "/" + name }

    /// Writes `config.yaml` and starts a fresh `metrics.jsonl`.
    public func begin(setup: TrainingSetup) throws {
        try AtomicFile.write(Array(setup.config.yaml().utf8), to: path("config.yaml"))
        try AtomicFile.write([], to: path("metrics.jsonl"))
        metrics = FileHandle(forWritingAtPath: path("metrics.jsonl"))
    }

    /// Continues a resumed run after `step` completed steps: keeps `config.yaml` and appends to
    /// `metrics.jsonl`, first dropping its lines for later steps (written after the checkpoint by
    /// a run that then crashed) so every step is logged once.
    public func resume(atStep step: Int) throws {
        let file = path("metrics.jsonl")
        let lines = FileSystem.exists(file) ? String(decoding: try AtomicFile.read(file), as: UTF8.self).split(separator: "\n") : []
        let kept = lines.filter { RunOutput.step(ofLine: $0).map { $0 <= step } ?? true }
        if kept.count != lines.count || !FileSystem.exists(file) {
            try AtomicFile.write(Array(kept.map { $0 + "\n" }.joined().utf8), to: file)
        }
        metrics = FileHandle(forWritingAtPath: file)
        metrics?.seekToEndOfFile()
    }

    /// The `"step"` field of a `metrics.jsonl` line, or nil.
    private static func step(ofLine line: Substring) -> Int? {
        struct Stepped: Decodable { var step: Int? }
        return (try? RunRecordJSON.decoder().decode(Stepped.self, from: Data(line.utf8)))?.step
    }

    /// Appends `record` to `metrics.jsonl` as one JSON line.
    public func append<Record: Encodable>(_ record: Record) throws {
        metrics?.write(Data((try RunRecordJSON.line(record) + "\n").utf8))
    }

    /// The file name of the weights with the best validation accuracy.
    public static let bestFileName = "best.safetensors"

    /// Writes the student's current weights as `best.safetensors` (atomically).
    public func writeBest(setup: TrainingSetup) throws {
        try RunOutput.modelFile(setup).write(to: path(RunOutput.bestFileName))
    }

    /// Writes the weights, their spec and `summary.json`.
    public func finish(setup: TrainingSetup, summary: TrainingSummary) throws {
        try metrics?.synchronize()
        try metrics?.close()
        metrics = nil
        try RunOutput.modelFile(setup).write(to: path("\(setup.role).safetensors"))
        try AtomicFile.write(Array(setup.studentSpec.yaml().utf8), to: path("\(setup.role).yaml"))
        try AtomicFile.write(Array(try RunRecordJSON.encoder(pretty: true).encode(summary)) + [10], to: path("summary.json"))
    }

    /// The student's current weights as a model file.
    private static func modelFile(_ setup: TrainingSetup) -> ModelFile {
        ModelFile(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes,
                  normalization: setup.normalization, role: setup.role, parameters: setup.student)
    }
}
