import Foundation

/// One `"kind":"step"` line of `metrics.jsonl`: the steps since the previous line.
public struct StepRecord: Codable, Equatable, Sendable {
    /// Always `"step"`.
    public var kind: String
    /// The global step (1-based) the line ends at.
    public var step: Int
    public var epoch: Int
    /// Mean loss, and its hard (labels) and soft (teacher) terms.
    public var loss: Double
    public var hardLoss: Double
    public var softLoss: Double
    public var trainAccuracy: Double
    public var learningRate: Float
    public var samplesPerSecond: Double
    /// Fraction of the steps whose mean gradient was clipped.
    public var clippedFraction: Double

    enum CodingKeys: String, CodingKey {
        case kind, step, epoch, loss
        case hardLoss = "hard_loss"
        case softLoss = "soft_loss"
        case trainAccuracy = "train_accuracy"
        case learningRate = "learning_rate"
        case samplesPerSecond = "samples_per_s"
        case clippedFraction = "clipped_fraction"
    }
}

/// One evaluation line of `metrics.jsonl`: `"kind":"validation"` with `validation_accuracy` and
/// `validation_loss` for an evaluation on the `data.validation` images during the run, or
/// `"kind":"eval"` with `test_accuracy` and `test_loss` for the test split at the end.
public struct EvaluationRecord: Codable, Equatable, Sendable {
    /// Which images an evaluation used.
    public enum Split: Sendable {
        case validation, test
    }

    /// `"validation"` or `"eval"` (the test split).
    public var kind: String
    public var step: Int
    public var epoch: Int
    public var validationAccuracy: Double?
    public var validationLoss: Double?
    public var testAccuracy: Double?
    public var testLoss: Double?

    enum CodingKeys: String, CodingKey {
        case kind, step, epoch
        case validationAccuracy = "validation_accuracy"
        case validationLoss = "validation_loss"
        case testAccuracy = "test_accuracy"
        case testLoss = "test_loss"
    }

    /// `"validation"` or `"test"`: which images were evaluated.
    public var split: String { kind == "validation" ? "validation" : "test" }
    /// The accuracy of the evaluation, whichever split it used.
    public var accuracy: Double { validationAccuracy ?? testAccuracy ?? .nan }
    /// The mean loss of the evaluation, whichever split it used.
    public var loss: Double { validationLoss ?? testLoss ?? .nan }

    /// The line for `evaluation` of `split` after global step `step`.
    public init(_ split: Split, step: Int, epoch: Int, evaluation: Evaluation) {
        self.step = step
        self.epoch = epoch
        switch split {
        case .validation:
            kind = "validation"
            (validationAccuracy, validationLoss) = (evaluation.accuracy, evaluation.loss)
        case .test:
            kind = "eval"
            (testAccuracy, testLoss) = (evaluation.accuracy, evaluation.loss)
        }
    }
}

/// The JSON form of the run records (`summary.json`, `metrics.jsonl`, the `evaluate` report):
/// keys sorted, non-finite numbers as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
public enum RunRecordJSON {
    /// An encoder for one-line records; `pretty` indents (`summary.json`).
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    /// A decoder that reads what ``encoder(pretty:)`` writes.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    /// `record` as one line of JSON (no newline).
    public static func line<Record: Encodable>(_ record: Record) throws -> String {
        String(decoding: try encoder().encode(record), as: UTF8.self)
    }
}
