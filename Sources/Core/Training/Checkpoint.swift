/// The exact state of a run after `step` optimiser steps: student parameters, BatchNorm running
/// statistics, optimiser state and the step. Every random draw of a run is keyed by (seed,
/// epoch/step, sample), so these and the configuration determine the rest of the run: epoch is
/// `step / stepsPerEpoch` and the position in the epoch's data order is `step % stepsPerEpoch`.
///
/// File format (`checkpoint.safetensors` in the run folder): safetensors with tensors
/// `student.values` `[parameterCount]`, `student.state` `[stateCount]` and one
/// `optimizer.<buffer>` `[parameterCount]` per optimiser buffer (in name order), and metadata
/// `distill.checkpoint_format` (``format``), `step`, `epoch`, `steps_per_epoch`, `optimizer_kind`,
/// `optimizer_step`, `config_sha256` (``RunConfig/hash``), `params_sha256`
/// (``ModelParameters/sha256()``), `run_id` (decimal), after the run's first validation
/// evaluation `best_step`, `best_validation_accuracy` and `evaluations_since_best`
/// (``ValidationProgress``; a checkpoint without them starts it afresh) and `payload_sha256`: the SHA-256 of the
/// data section (every tensor's little-endian float32 bytes in file order), then `name[count]\n`
/// for every tensor in file order, then `key=value\n` for every other metadata entry in key order.
///
/// Rotation (``write(inDirectory:)``): the new checkpoint is written completely to
/// `checkpoint.next.safetensors` (temp file, fsync, rename), then `checkpoint.safetensors` is
/// renamed to `checkpoint.prev.safetensors` and the new file to `checkpoint.safetensors`. A crash
/// at any point leaves at least one complete checkpoint. Recovery rule (``latest(in:config:)``):
/// use `checkpoint.safetensors`; if it is missing or damaged, fall back to
/// `checkpoint.prev.safetensors` and say so.
public struct Checkpoint {
    /// The `distill.checkpoint_format` this build writes and reads.
    public static let format = "1"
    /// The current checkpoint in a run folder.
    public static let fileName = "checkpoint.safetensors"
    /// The checkpoint before it, kept until the current one is complete.
    public static let previousFileName = "checkpoint.prev.safetensors"
    /// Where a new checkpoint is written before it becomes current.
    public static let nextFileName = "checkpoint.next.safetensors"

    /// Completed optimiser steps.
    public var step: Int
    /// Optimiser steps per epoch of the run that wrote it.
    public var stepsPerEpoch: Int
    /// The run's identifier (kept by a resumed distributed run).
    public var runID: UInt64
    /// ``RunConfig/hash`` of the run's configuration.
    public var configSHA256: String
    /// `sha256()` of the frozen teacher's parameters ("" without a teacher): the configuration
    /// names the teacher's file, this pins its contents.
    public var teacherSHA256: String
    /// Student trainable values, `parameterCount` of them.
    public var values: [Float]
    /// Student BatchNorm running statistics, `stateCount` of them.
    public var state: [Float]
    public var optimizer: OptimizerState
    /// The best validation accuracy so far and the evaluations since.
    public var validation: ValidationProgress
    /// The file it was read from ("" when built in memory); names it in errors.
    public var source = ""

    public init(step: Int, stepsPerEpoch: Int, runID: UInt64, configSHA256: String, teacherSHA256: String,
                values: [Float], state: [Float], optimizer: OptimizerState, validation: ValidationProgress = ValidationProgress()) {
        self.step = step
        self.stepsPerEpoch = stepsPerEpoch
        self.runID = runID
        self.configSHA256 = configSHA256
        self.teacherSHA256 = teacherSHA256
        self.values = values
        self.state = state
        self.optimizer = optimizer
        self.validation = validation
    }

    /// The epoch the next step belongs to.
    public var epoch: Int { step / stepsPerEpoch }

    /// `params_sha256` of the student values and statistics, as in `summary.json`.
    public var paramsSHA256: String {
        values.withUnsafeBytes { v in state.withUnsafeBytes { s in ModelParameters.sha256(values: v, state: s) } }
    }

    /// Throws ``CheckpointError/Problem/configMismatch`` unless `config` is the configuration this checkpoint was written under.
    public func check(config: RunConfig) throws {
        guard config.hash == configSHA256 else {
            throw CheckpointError(path: source, problem: .configMismatch(checkpoint: configSHA256, config: config.hash))
        }
    }

    // MARK: - Encoding

    /// The file bytes.
    public func encoded() -> [UInt8] {
        var file = SafeTensors(tensors: [("student.values", [values.count], values), ("student.state", [state.count], state)]
            + optimizer.buffers.sorted { $0.key < $1.key }.map { ("optimizer.\($0.key)", [$0.value.count], $0.value) })
        file.metadata = [
            "distill.checkpoint_format": Checkpoint.format,
            "step": String(step), "epoch": String(epoch), "steps_per_epoch": String(stepsPerEpoch),
            "optimizer_kind": optimizer.kind, "optimizer_step": String(optimizer.step),
            "config_sha256": configSHA256, "params_sha256": paramsSHA256, "run_id": String(runID),
            "teacher_sha256": teacherSHA256,
        ]
        if let best = validation.bestStep {
            file.metadata["best_step"] = String(best)
            file.metadata["best_validation_accuracy"] = String(validation.bestAccuracy)
            file.metadata["evaluations_since_best"] = String(validation.evaluationsSinceBest)
        }
        file.metadata["payload_sha256"] = Checkpoint.payloadSHA256(file)
        return file.encoded()
    }

    /// Parses checkpoint bytes read from `source`, checking the format version first, then the
    /// checksum, then every field. Throws ``CheckpointError``.
    public static func decode(_ bytes: [UInt8], source: String) throws -> Checkpoint {
        func fail(_ problem: CheckpointError.Problem) -> CheckpointError { CheckpointError(path: source, problem: problem) }
        let file: SafeTensors
        do { file = try SafeTensors.decode(bytes, source: source) } catch let error as SafeTensorsError {
            throw fail(.malformed(error.detail))
        }
        guard let version = file.metadata["distill.checkpoint_format"] else {
            throw fail(.malformed("no distill.checkpoint_format metadata: not a Distill checkpoint"))
        }
        guard version == format else { throw fail(.unsupportedFormat(found: version, supported: format)) }
        guard let stored = file.metadata["payload_sha256"] else { throw fail(.malformed("metadata field 'payload_sha256' is missing")) }
        let computed = payloadSHA256(file)
        guard stored == computed else { throw fail(.checksumMismatch(stored: stored, computed: computed)) }

        func text(_ key: String) throws -> String {
            guard let value = file.metadata[key] else { throw fail(.malformed("metadata field '\(key)' is missing")) }
            return value
        }
        func count(_ key: String, minimum: Int = 0) throws -> Int {
            let value = try text(key)
            guard let n = Int(value), n >= minimum else { throw fail(.malformed("metadata field '\(key)' = '\(value)' is not an integer ≥ \(minimum)")) }
            return n
        }
        var tensors: [String: [Float]] = [:]
        for tensor in file.tensors { tensors[tensor.name] = tensor.values }
        func tensor(_ name: String) throws -> [Float] {
            guard let values = tensors.removeValue(forKey: name) else { throw fail(.malformed("tensor '\(name)' is missing")) }
            return values
        }
        let runText = try text("run_id")
        guard let runID = UInt64(runText) else { throw fail(.malformed("metadata field 'run_id' = '\(runText)' is not a UInt64")) }
        var checkpoint = Checkpoint(
            step: try count("step"), stepsPerEpoch: try count("steps_per_epoch", minimum: 1), runID: runID,
            configSHA256: try text("config_sha256"), teacherSHA256: try text("teacher_sha256"),
            values: try tensor("student.values"), state: try tensor("student.state"),
            optimizer: OptimizerState(kind: try text("optimizer_kind"), step: try count("optimizer_step"), buffers: [:]))
        if file.metadata["best_step"] != nil {
            let text = try text("best_validation_accuracy")
            guard let accuracy = Double(text), (0...1).contains(accuracy) else {
                throw fail(.malformed("metadata field 'best_validation_accuracy' = '\(text)' is not a number in [0, 1]"))
            }
            checkpoint.validation = ValidationProgress(bestStep: try count("best_step"), bestAccuracy: accuracy,
                                                       evaluationsSinceBest: try count("evaluations_since_best"))
        }
        for (name, values) in tensors {
            guard name.hasPrefix("optimizer.") else { throw fail(.malformed("unexpected tensor '\(name)'")) }
            checkpoint.optimizer.buffers[String(name.dropFirst("optimizer.".count))] = values
        }
        checkpoint.source = source
        return checkpoint
    }

    /// `payload_sha256` of `file` (see the type's documentation); ignores any stored `payload_sha256`.
    private static func payloadSHA256(_ file: SafeTensors) -> String {
        var hasher = SHA256Hasher()
        for tensor in file.tensors { tensor.values.withUnsafeBytes { hasher.update($0) } }
        for tensor in file.tensors { hasher.update(Array("\(tensor.name)[\(tensor.values.count)]\n".utf8)) }
        for (key, value) in file.metadata.sorted(by: { $0.key < $1.key }) where key != "payload_sha256" {
            hasher.update(Array("\(key)=\(value)\n".utf8))
        }
        return SHA256.hexString(hasher.finalize())
    }

    // MARK: - Files

    /// Makes this checkpoint the current one in `directory`, keeping the one it replaces as
    /// `checkpoint.prev.safetensors` (see the type's documentation). Throws ``IOError``.
    public func write(inDirectory directory: String) throws {
        let next = directory + "/" + Checkpoint.nextFileName
        let current = directory + "/" + Checkpoint.fileName
        try AtomicFile.write(encoded(), to: next)
        if FileSystem.exists(current) { try AtomicFile.move(current, to: directory + "/" + Checkpoint.previousFileName) }
        try AtomicFile.move(next, to: current)
    }

    /// Reads and validates the checkpoint file at `path`. Throws ``CheckpointError``.
    public static func read(_ path: String) throws -> Checkpoint {
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(path) } catch let error as IOError {
            throw CheckpointError(path: path, problem: .unreadable(error.reason))
        }
        return try decode(bytes, source: path)
    }

    /// Whether `directory` holds a checkpoint to resume from (`checkpoint.safetensors` or
    /// `checkpoint.prev.safetensors`, readable or not: ``latest(in:config:)`` decides).
    public static func exists(in directory: String) -> Bool {
        FileSystem.exists(directory + "/" + fileName) || FileSystem.exists(directory + "/" + previousFileName)
    }

    /// The checkpoint to resume the run in `directory` from under `config`, by the recovery rule:
    /// `checkpoint.safetensors`, or `checkpoint.prev.safetensors` when the current file is missing
    /// or damaged, in which case `notice` says why. Reads only. Throws ``CheckpointError``: the
    /// current file's damage when the previous one cannot stand in, a format or configuration
    /// mismatch, or ``CheckpointError/Problem/none``.
    public static func latest(in directory: String, config: RunConfig) throws -> (checkpoint: Checkpoint, notice: String?) {
        let current = directory + "/" + fileName
        let previous = directory + "/" + previousFileName
        var notice: String?
        var damage: CheckpointError?
        if FileSystem.exists(current) {
            do {
                let checkpoint = try read(current)
                try checkpoint.check(config: config)
                return (checkpoint, nil)
            } catch let error as CheckpointError where error.isDamage {
                damage = error
                notice = "\(error); resuming from \(previousFileName) instead"
            }
        } else if FileSystem.exists(previous) {
            notice = "\(current) is missing; resuming from \(previousFileName) instead"
        }
        guard FileSystem.exists(previous) else { throw damage ?? CheckpointError(path: directory, problem: .none) }
        let checkpoint: Checkpoint
        do { checkpoint = try read(previous) } catch let error as CheckpointError where error.isDamage {
            throw damage ?? error
        }
        try checkpoint.check(config: config)
        return (checkpoint, notice.map { $0 + " (step \(checkpoint.step))" })
    }
}
