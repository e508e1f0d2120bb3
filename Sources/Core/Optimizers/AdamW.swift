/// Adam with decoupled weight decay (`p ← p − lr·wd·p`, applied before the Adam update and
/// not seen by the moments), as PyTorch's `torch.optim.AdamW`. See `AdamUpdate` for the update.
public final class AdamW: Optimizer, AdamFamily {
    let rule: AdamUpdate

    /// `decayMask` lists the index ranges that receive weight decay; `nil` decays every element.
    /// Steps run on `parallelism`'s threads.
    public init(parameterCount: Int, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decayMask: [Range<Int>]? = nil, parallelism: ElementwiseParallelism = .serial) {
        rule = AdamUpdate(kind: "AdamW", decoupled: true, parameterCount: parameterCount, beta1: beta1, beta2: beta2,
                            epsilon: epsilon, weightDecay: weightDecay, decayMask: decayMask,
                            parallelism: parallelism)
    }
}
