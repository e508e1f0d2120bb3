/// How often each class was predicted as each class: row = the label, column = the predicted
/// class (the first of equal largest logits, as the loss counts correct answers).
public struct ConfusionMatrix: Codable, Equatable, Sendable {
    /// Number of classes: the matrix is `classes × classes`.
    public let classes: Int
    /// `rows[label][predicted]`: images of class `label` predicted as `predicted`.
    public private(set) var rows: [[Int]]

    /// An empty matrix for `classes` classes.
    public init(classes: Int) {
        self.classes = classes
        rows = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
    }

    /// Adds the predictions of `logits: [N, classes]` for `labels` (N of them, each in `0..<classes`).
    mutating func add(logits: UnsafePointer<Float>, labels: UnsafeBufferPointer<Int32>) {
        for (i, label) in labels.enumerated() {
            let row = logits + i * classes
            var predicted = 0
            for k in 1..<classes where row[k] > row[predicted] { predicted = k }
            rows[Int(label)][predicted] += 1
        }
    }

    /// The element-wise sum of two matrices of the same size.
    static func + (a: ConfusionMatrix, b: ConfusionMatrix) -> ConfusionMatrix {
        var sum = a
        for label in 0..<a.classes {
            for predicted in 0..<a.classes { sum.rows[label][predicted] += b.rows[label][predicted] }
        }
        return sum
    }

    /// Per class, the fraction of its images predicted as it; nil for a class with no images.
    public var perClassAccuracy: [Double?] {
        rows.enumerated().map { label, row in
            let total = row.reduce(0, +)
            return total == 0 ? nil : Double(row[label]) / Double(total)
        }
    }

    /// The matrix as a table for people: one row per true class, one column per predicted class.
    public var table: String {
        let width = max(String(rows.joined().max() ?? 0).count, String(max(classes - 1, 0)).count, 4) + 1
        var out = "rows: true class, columns: predicted class\n" + "".leftPadded(width) + (0..<classes).map { String($0).leftPadded(width) }.joined() + "\n"
        for (label, row) in rows.enumerated() { out += String(label).leftPadded(width) + row.map { String($0).leftPadded(width) }.joined() + "\n" }
        return out
    }
}
