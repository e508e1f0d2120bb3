/// Softmax cross-entropy of `logits: [N, C]` against integer `labels` (N of them, each in `0..<C`).
///
/// Per sample `hard = logsumexp(z) − z[y]`, computed stably; `total == hard`, `soft == 0`.
/// When `gradient` is given it is resized to `[N, C]` and set (not accumulated) to
/// `gradientScale · (softmax(z) − onehot(y))`; `gradientScale = 1/N` gives the gradient of the mean.
/// This is ``distillationLoss(studentLogits:teacherLogits:labels:temperature:alpha:gradient:gradientScale:)``
/// with `α = 0`, and shares its kernel.
public func softmaxCrossEntropy(
    logits: Tensor, labels: UnsafeBufferPointer<Int32>, gradient: Tensor?, gradientScale: Float
) -> LossSums {
    classificationLoss(student: logits, teacher: nil, labels: labels, temperature: 1, alpha: 0,
                       gradient: gradient, gradientScale: gradientScale)
}
