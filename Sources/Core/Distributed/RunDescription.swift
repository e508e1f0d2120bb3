import Foundation

/// Everything a worker needs to compute shards of a run, sent in the welcome message
/// (as canonical JSON) together with the teacher's weights: the worker reads no files.
public struct RunDescription: Codable, Equatable, Sendable {
    /// Random identifier of the run; every message carries it.
    public var runID: UInt64
    /// The run seed (dropout keys).
    public var seed: UInt64
    /// Per-sample input shape, HWC.
    public var inputShape: [Int]
    public var classes: Int
    public var normalizationMean: [Float]
    public var normalizationStd: [Float]
    public var temperature: Float
    public var alpha: Float
    public var studentSpec: ModelSpec
    public var teacherSpec: ModelSpec?
    /// The fully resolved run configuration (`config.yaml`), for the worker's logs.
    public var configYAML: String

    public init(setup: TrainingSetup, runID: UInt64) {
        self.runID = runID
        seed = UInt64(setup.config.int("seed"))
        inputShape = setup.inputShape
        classes = setup.classes
        normalizationMean = setup.normalization.mean
        normalizationStd = setup.normalization.std
        temperature = setup.objective.temperature
        alpha = setup.objective.alpha
        studentSpec = setup.studentSpec
        teacherSpec = setup.teacher?.spec
        configYAML = setup.config.yaml()
    }

    /// Hash of the two model specs: a worker built for other models is refused.
    public var specHash: String { RunDescription.specHash(student: studentSpec, teacher: teacherSpec) }

    /// The spec hash of a run with these models (what `distill-worker --student/--teacher` insists on).
    public static func specHash(student: ModelSpec, teacher: ModelSpec?) -> String {
        SHA256.hex(Array((student.canonicalJSON() + "\n" + (teacher?.canonicalJSON() ?? "")).utf8))
    }

    /// Canonical JSON.
    public func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Parses the JSON sent by a coordinator.
    public static func decode(_ text: String) throws -> RunDescription {
        do { return try JSONDecoder().decode(RunDescription.self, from: Data(text.utf8)) } catch {
            throw ConfigError.invalid(source: "welcome message", detail: "unreadable run description: \(error)")
        }
    }

    /// The normalisation the run uses.
    public var normalization: Normalization { Normalization(mean: normalizationMean, std: normalizationStd) }
    /// The objective the run uses.
    public var objective: DistillationObjective { DistillationObjective(temperature: temperature, alpha: alpha) }
}
