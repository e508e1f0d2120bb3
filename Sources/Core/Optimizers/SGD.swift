import COptimizer

/// Stochastic gradient descent with optional (Nesterov) momentum and coupled L2 weight decay,
/// with PyTorch's semantics (no dampening):
///
///     g ← g + wd·p            (only inside the decay mask)
///     v ← μ·v + g
///     p ← p − lr·(g + μ·v)    with Nesterov, else   p ← p − lr·v
///
/// With `momentum == 0` there is no velocity buffer and the update is `p ← p − lr·g`.
public final class SGD: Optimizer {
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    private let buffers: OptimizerBuffers
    private let decay: DecaySegments
    private let parallelism: ElementwiseParallelism

    /// `decayMask` lists the index ranges that receive weight decay (typically the kernels);
    /// `nil` decays every element. Ranges must lie in `0..<parameterCount` and not overlap.
    /// Nesterov needs `momentum > 0` (a precondition: ``ConfigSchema/rules`` checks the configuration).
    /// Steps run on `parallelism`'s threads.
    public init(parameterCount: Int, momentum: Float = 0, nesterov: Bool = false,
                weightDecay: Float = 0, decayMask: [Range<Int>]? = nil, parallelism: ElementwiseParallelism = .serial) {
        precondition(!nesterov || momentum > 0, "SGD: Nesterov needs a positive momentum")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.parallelism = parallelism
        buffers = OptimizerBuffers(kind: "SGD", parameterCount: parameterCount,
                                   names: momentum == 0 ? [] : ["velocity"])
        decay = DecaySegments(parameterCount: parameterCount, weightDecay: weightDecay, mask: decayMask, kind: "SGD")
    }

    /// The learning rate of the step begun last.
    private var learningRate: Float = 0

    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate lr: Float) {
        buffers.checkLengths(parameters, gradients)
        applyStep(parameters: parameters, gradients: gradients, learningRate: lr, parallelism: parallelism)
    }

    public func beginStep(learningRate lr: Float) {
        learningRate = lr
        buffers.step += 1
    }

    /// The update in C (`distill_sgd_*`, the formulas above at the CPU's vector width), one
    /// pass over the shards' gradients, the parameters and the velocity per decay segment.
    public func update(_ range: Range<Int>, parameters: UnsafeMutablePointer<Float>, gradient: MeanGradient) {
        let lr = learningRate, mu = momentum, nesterov = nesterov
        let g = gradient.shards.baseAddress, shards = gradient.shards.count, scale = gradient.scale
        decay.forEachSegment(in: range) { segment, wd in
            let first = segment.lowerBound, count = segment.count, p = parameters + first
            if mu == 0 {
                distill_sgd_plain(p, g, shards, first, count, scale, lr, wd)
            } else if nesterov {
                distill_sgd_nesterov(p, buffers.pointers[0] + first, g, shards, first, count, scale, lr, mu, wd)
            } else {
                distill_sgd_momentum(p, buffers.pointers[0] + first, g, shards, first, count, scale, lr, mu, wd)
            }
        }
    }

    public var state: OptimizerState { buffers.state }

    public func restore(_ state: OptimizerState) throws { try buffers.restore(state) }
}
