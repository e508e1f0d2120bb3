import Foundation

/// Everything a worker needs to compute shards of a run, sent in the welcome message
/// (as canonical JSON) together with the teacher's weights: the worker reads no files.
/// Nothing else of the run's configuration (paths, data, schedule) leaves the coordinator.
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
    /// How results carry gradients (`train.wire_gradients`).
    public var gradientEncoding: GradientEncoding

    /// The description of run `runID` as set up in `setup`.
    public init(setup: TrainingSetup, runID: UInt64) {
        self.init(runID: runID, seed: UInt64(setup.config.int("seed")), inputShape: setup.inputShape, classes: setup.classes,
                  normalization: setup.normalization, objective: setup.objective, studentSpec: setup.studentSpec,
                  teacherSpec: setup.teacher?.spec, gradientEncoding: setup.gradientEncoding)
    }

    /// A description with every field given.
    public init(runID: UInt64, seed: UInt64, inputShape: [Int], classes: Int, normalization: Normalization,
                objective: DistillationObjective, studentSpec: ModelSpec, teacherSpec: ModelSpec?,
                gradientEncoding: GradientEncoding = .float32) {
        self.runID = runID
        self.seed = seed
        self.inputShape = inputShape
        self.classes = classes
        normalizationMean = normalization.mean
        normalizationStd = normalization.std
        temperature = objective.temperature
        alpha = objective.alpha
        self.studentSpec = studentSpec
        self.teacherSpec = teacherSpec
        self.gradientEncoding = gradientEncoding
    }

    /// Hash of the two model specs: a worker built for other models is refused.
    public var specHash: String { RunDescription.specHash(student: studentSpec, teacher: teacherSpec) }

    /// The spec hash of a run with these models (what `distill-worker --student/--teacher` insists on).
    public static func specHash(student: ModelSpec, teacher: ModelSpec?) -> String {
        SHA256.hex(Array((student.canonicalJSON() + "\n" + (teacher?.canonicalJSON() ?? "")).utf8))
    }

    /// Canonical JSON (sorted keys), as the welcome carries it. A non-finite number is written as
    /// a string, which ``init(json:)`` refuses.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Parses and checks the JSON a coordinator sent: every value a worker will index or divide
    /// by must be in range before any model is built from it.
    /// - Throws: ``WireError/invalidDocument(field:detail:)`` naming the key.
    public init(json text: String) throws {
        let field = "welcome.runDescriptionJSON"
        do { self = try JSONDecoder().decode(RunDescription.self, from: Data(text.utf8)) } catch {
            throw WireError.invalidDocument(field: field, detail: "unreadable run description: \(error)")
        }
        func check(_ ok: Bool, _ detail: @autoclosure () -> String) throws {
            if !ok { throw WireError.invalidDocument(field: field, detail: detail()) }
        }
        try check(inputShape.count == 3 && inputShape.allSatisfy { (1...RunDescription.maxSide).contains($0) }
                    && inputShape[2] <= RunDescription.maxChannels,
                  "inputShape \(inputShape) must be [height, width, channels] with sides in 1...\(RunDescription.maxSide) "
                    + "and at most \(RunDescription.maxChannels) channels")
        try check((1...RunDescription.maxClasses).contains(classes), "classes \(classes) must be in 1...\(RunDescription.maxClasses)")
        try check(normalizationMean.count == inputShape[2] && normalizationStd.count == inputShape[2],
                  "normalizationMean and normalizationStd need \(inputShape[2]) values each, have "
                    + "\(normalizationMean.count) and \(normalizationStd.count)")
        try check(normalizationMean.allSatisfy(\.isFinite), "normalizationMean \(normalizationMean) must be finite")
        try check(normalizationStd.allSatisfy { $0.isFinite && $0 > 0 }, "normalizationStd \(normalizationStd) must be finite and > 0")
        try check(temperature.isFinite && temperature > 0, "temperature \(temperature) must be finite and > 0")
        try check(alpha.isFinite && (0...1).contains(alpha), "alpha \(alpha) must be in [0, 1]")
    }

    /// Largest image side a run description may declare.
    static let maxSide = 4096
    /// Most channels per pixel a run description may declare.
    static let maxChannels = 16
    /// Most classes a run description may declare.
    static let maxClasses = 1 << 20

    /// The normalisation the run uses.
    public var normalization: Normalization { Normalization(mean: normalizationMean, std: normalizationStd) }
    /// The objective the run uses.
    public var objective: DistillationObjective { DistillationObjective(temperature: temperature, alpha: alpha) }
}
