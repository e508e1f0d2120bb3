import Foundation

/// What `distill-coordinator evaluate` reports about a model on a test split: the last line it
/// prints (one JSON object) and the file `--json FILE` writes.
public struct EvaluationReport: Codable, Equatable, Sendable {
    /// The model's spec name.
    public var model: String
    /// The model file evaluated.
    public var modelFile: String
    /// Where the data's configuration came from (a run folder's config.yaml, --config, the defaults).
    public var data: String
    public var testAccuracy: Double
    public var testLoss: Double
    /// Images evaluated.
    public var count: Int
    /// Per class, the fraction of its images classified correctly (null for a class with no images).
    public var perClassAccuracy: [Double?]
    /// `confusion_matrix[label][predicted]`: images of class `label` predicted as `predicted`.
    public var confusionMatrix: [[Int]]

    enum CodingKeys: String, CodingKey {
        case model, data, count
        case modelFile = "model_file"
        case testAccuracy = "test_accuracy"
        case testLoss = "test_loss"
        case perClassAccuracy = "per_class_accuracy"
        case confusionMatrix = "confusion_matrix"
    }

    /// The report of `evaluation` for the model `model` read from `modelFile`, on the data `data` describes.
    public init(model: String, modelFile: String, data: String, evaluation: Evaluation) {
        self.model = model
        self.modelFile = modelFile
        self.data = data
        testAccuracy = evaluation.accuracy
        testLoss = evaluation.loss
        count = evaluation.count
        perClassAccuracy = evaluation.confusion.perClassAccuracy
        confusionMatrix = evaluation.confusion.rows
    }

    /// Per-class accuracy as a table for people.
    public var perClassTable: String {
        var out = "class   images   accuracy\n"
        for (label, accuracy) in perClassAccuracy.enumerated() {
            let images = confusionMatrix[label].reduce(0, +)
            out += String(label).leftPadded(5) + String(images).leftPadded(9)
                + (accuracy.map { String(format: "%10.2f%%", 100 * $0) } ?? "         -") + "\n"
        }
        return out
    }
}

extension String {
    /// The string right-aligned in `width` characters.
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(width - count, 0)) + self }
}
