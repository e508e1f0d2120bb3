/// Test-set accuracy and loss of a model, computed in inference mode.
public struct Evaluation: Sendable, Equatable {
    /// Fraction of correctly classified images.
    public var accuracy: Double
    /// Mean softmax cross-entropy.
    public var loss: Double
    /// Number of images evaluated.
    public var count: Int
    /// Predictions by true class.
    public var confusion: ConfusionMatrix
}

extension LocalShardPool {
    /// Evaluates the student (or, with `teacher: true`, the teacher) on `dataset` in chunks of
    /// `batchSize` images spread over the pool's threads. Sums combine in chunk order. The
    /// network's logits must cover `dataset`'s classes (`dataset.classes` ≤ the model's).
    public func evaluate(_ dataset: Dataset, batchSize: Int, teacher: Bool = false) -> Evaluation {
        let chunks = (dataset.count + batchSize - 1) / batchSize
        let slots = ResultSlots<(LossSums, ConfusionMatrix)>(count: chunks)
        dataset.images.withUnsafeBufferPointer { images in
            dataset.labels.withUnsafeBufferPointer { labels in
                parallel(items: chunks) { executor, c in
                    let start = c * batchSize
                    let count = min(batchSize, dataset.count - start)
                    let network = teacher ? executor.teacher! : executor.student
                    let logits = executor.logits(of: network, images: images.baseAddress! + start * dataset.imageBytes, count: count)
                    let chunkLabels = UnsafeBufferPointer(rebasing: labels[start..<(start + count)])
                    let sums = softmaxCrossEntropy(logits: logits, labels: chunkLabels, gradient: nil, gradientScale: 1)
                    var confusion = ConfusionMatrix(classes: logits.itemCount)
                    confusion.add(logits: logits.pointer, labels: chunkLabels)
                    slots.store((sums, confusion), at: c)
                }
            }
        }
        var results: [(LossSums, ConfusionMatrix)] = []
        slots.take(count: chunks, into: &results)
        let total = results.map(\.0).reduce(LossSums.zero, +)
        let classes = results.first?.1.classes ?? dataset.classes
        return Evaluation(accuracy: Double(total.correct) / Double(max(total.count, 1)),
                          loss: total.total / Double(max(total.count, 1)), count: total.count,
                          confusion: results.map(\.1).reduce(ConfusionMatrix(classes: classes), +))
    }
}
