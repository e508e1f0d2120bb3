/// Adam with bias correction and coupled L2 weight decay (`g ← g + wd·p` before the moments),
/// as PyTorch's `torch.optim.Adam`. See `AdamUpdate` for the update.
public final class Adam: Optimizer, AdamFamily {
    let rule: AdamUpdate

    /// `decayMask` lists the index ranges that receive weight decay; `nil` decays every element.
    /// Steps run on `parallelism`'s threads.
    public init(parameterCount: Int, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decayMask: [Range<Int>]? = nil, parallelism: ElementwiseParallelism = .serial) {
        rule = AdamUpdate(kind: "Adam", decoupled: false, parameterCount: parameterCount, beta1: beta1, beta2: beta2,
                            epsilon: epsilon, weightDecay: weightDecay, decayMask: decayMask,
                            parallelism: parallelism)
    }
}
