import Glibc

/// Knowledge-distillation loss of `studentLogits: [N, C]` against `teacherLogits: [N, C]` and
/// integer `labels` (N of them, each in `0..<C`).
///
/// Per sample, with `σ` the softmax:
/// - `hard = CE(y, σ(z_s))`, the cross-entropy against the label (log-sum-exp stable);
/// - `soft = T² · CE(σ(z_t/T), σ(z_s/T))`, the cross-entropy (not the KL divergence) of the
///   student's softened distribution against the teacher's;
/// - `total = (1 − α)·hard + α·soft`.
///
/// When `α == 0` the teacher logits are not read (they may be empty) and `soft` is 0.
/// When `gradient` is given it is resized to `[N, C]` and set (not accumulated) to
/// `gradientScale · ∂(Σ_i total_i)/∂z_s = gradientScale · [(1−α)(σ(z_s) − onehot(y)) + α·T·(σ(z_s/T) − σ(z_t/T))]`.
/// `gradientScale = 1/N` gives the gradient of the batch mean.
/// Requires `temperature > 0`, `0 ≤ alpha ≤ 1` and labels in range (precondition failures otherwise;
/// `ShardExecutor` checks the objective when it is built and every shard's labels before it runs).
public func distillationLoss(
    studentLogits: Tensor, teacherLogits: Tensor, labels: UnsafeBufferPointer<Int32>,
    temperature: Float, alpha: Float, gradient: Tensor?, gradientScale: Float
) -> LossSums {
    classificationLoss(student: studentLogits, teacher: alpha == 0 ? nil : teacherLogits, labels: labels,
                       temperature: temperature, alpha: alpha, gradient: gradient, gradientScale: gradientScale)
}

/// The one kernel behind both losses; `teacher == nil` means `α = 0`.
func classificationLoss(
    student: Tensor, teacher: Tensor?, labels: UnsafeBufferPointer<Int32>,
    temperature: Float, alpha: Float, gradient: Tensor?, gradientScale: Float
) -> LossSums {
    // z_s: [N, C], z_t: [N, C] (only when α > 0), labels: [N] -> sums; gradient: [N, C]
    precondition(student.shape.count == 2, "loss: student logits must be [N, C], got \(student.shape)")
    let n = student.shape[0], c = student.shape[1]
    precondition(c > 0, "loss: logits need at least one class, got \(student.shape)")
    precondition(labels.count == n, "loss: \(labels.count) labels for \(n) logit rows")
    precondition(temperature > 0, "loss: temperature must be positive, got \(temperature)")
    precondition(alpha >= 0 && alpha <= 1, "loss: alpha must be in [0, 1], got \(alpha)")
    if let teacher {
        precondition(teacher.shape == student.shape,
                     "loss: teacher logits \(teacher.shape) do not match student logits \(student.shape)")
    }
    gradient?.resize(to: student.shape)

    let zs = student.pointer
    let zt = teacher?.pointer
    let g = gradient?.pointer
    let t = temperature, invT = 1 / temperature
    let hardWeight = 1 - alpha, softWeight = alpha * temperature
    var sums = LossSums.zero
    sums.count = n

    for i in 0..<n {
        let label = Int(labels[i])
        precondition(label >= 0 && label < c, "loss: label \(label) of sample \(i) is outside 0..<\(c)")
        let s = zs + i * c
        // Student max (argmax wins ties at the lowest index) and log-sum-exps at T = 1 and at T.
        var maxIndex = 0
        for k in 1..<c where s[k] > s[maxIndex] { maxIndex = k }
        let ms = s[maxIndex]
        if maxIndex == label { sums.correct += 1 }
        var sumS: Float = 0, sumST: Float = 0
        for k in 0..<c {
            sumS += expf(s[k] - ms)
            sumST += expf((s[k] - ms) * invT)
        }
        let logSumS = logf(sumS), logSumST = logf(sumST)
        let hard = logSumS - (s[label] - ms)
        sums.hard += Double(hard)

        var soft: Float = 0
        if let zt {
            let tr = zt + i * c
            var mt = tr[0]
            for k in 1..<c where tr[k] > mt { mt = tr[k] }
            var sumT: Float = 0
            for k in 0..<c { sumT += expf((tr[k] - mt) * invT) }
            let logSumT = logf(sumT)
            // soft = −T² Σ σ(z_t/T)_k · log σ(z_s/T)_k
            var crossEntropy: Float = 0
            for k in 0..<c {
                let qt = expf((tr[k] - mt) * invT - logSumT)
                let logQs = (s[k] - ms) * invT - logSumST
                crossEntropy -= qt * logQs
                if let g { g[i * c + k] = softWeight * (expf(logQs) - qt) }
            }
            soft = t * t * crossEntropy
            sums.soft += Double(soft)
        } else if let g {
            (g + i * c).update(repeating: 0, count: c)
        }
        sums.total += Double(hardWeight) * Double(hard) + Double(alpha) * Double(soft)

        if let g {
            let row = g + i * c
            for k in 0..<c {
                let ps = expf(s[k] - ms - logSumS) - (k == label ? 1 : 0)
                row[k] = gradientScale * (row[k] + hardWeight * ps)
            }
        }
    }
    return sums
}
