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

    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate lr: Float) {
        // p: [P], g: [P], v: [P] -> p, v updated in place
        buffers.checkLengths(parameters, gradients)
        guard let p = parameters.baseAddress, let g = gradients.baseAddress else { return }
        let mu = momentum, nesterov = nesterov, velocity = buffers.pointers.first
        decay.forEachPiece(parallelism) { range, wd in
            if mu == 0 {
                for i in range { p[i] -= lr * (g[i] + wd * p[i]) }
            } else if nesterov {
                let v = velocity!
                for i in range {
                    let gi = g[i] + wd * p[i]
                    v[i] = mu * v[i] + gi
                    p[i] -= lr * (gi + mu * v[i])
                }
            } else {
                let v = velocity!
                for i in range {
                    v[i] = mu * v[i] + g[i] + wd * p[i]
                    p[i] -= lr * v[i]
                }
            }
        }
        buffers.step += 1
    }

    public var state: OptimizerState { buffers.state }

    public func restore(_ state: OptimizerState) throws { try buffers.restore(state) }
}
