/// Test-set accuracy and loss of a model, computed in inference mode.
public struct Evaluation: Sendable, Equatable {
    /// Fraction of correctly classified images.
    public var accuracy: Double
    /// Mean softmax cross-entropy.
    public var loss: Double
    /// Number of images evaluated.
    public var count: Int
}

extension LocalShardPool {
    /// Evaluates the student (or, with `teacher: true`, the teacher) on `dataset` in chunks of
    /// `batchSize` images spread over the pool's threads. Sums combine in chunk order.
    public func evaluate(_ dataset: Dataset, batchSize: Int, teacher: Bool = false) -> Evaluation {
        let chunks = (dataset.count + batchSize - 1) / batchSize
        let slots = ResultSlots<LossSums>(count: chunks)
        dataset.images.withUnsafeBufferPointer { images in
            dataset.labels.withUnsafeBufferPointer { labels in
                parallel(items: chunks) { executor, c in
                    let start = c * batchSize
                    let count = min(batchSize, dataset.count - start)
                    let network = teacher ? executor.teacher! : executor.student
                    let logits = executor.logits(of: network, images: images.baseAddress! + start * dataset.imageBytes, count: count)
                    let sums = softmaxCrossEntropy(logits: logits, labels: UnsafeBufferPointer(rebasing: labels[start..<(start + count)]),
                                                   gradient: nil, gradientScale: 1)
                    slots.store(sums, at: c)
                }
            }
        }
        let total = slots.values(count: chunks).reduce(LossSums.zero, +)
        return Evaluation(accuracy: Double(total.correct) / Double(max(total.count, 1)),
                          loss: total.total / Double(max(total.count, 1)), count: total.count)
    }
}
