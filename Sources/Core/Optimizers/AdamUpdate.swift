import Glibc

/// The Adam update shared by ``Adam`` (coupled L2 decay) and ``AdamW`` (decoupled decay).
///
///     g ← g + wd·p                   (coupled, inside the decay mask)
///     p ← p − lr·wd·p                (decoupled, inside the decay mask, before the update)
///     m ← β₁·m + (1 − β₁)·g
///     v ← β₂·v + (1 − β₂)·g²
///     p ← p − lr · m̂ / (√v̂ + ε)     with m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)
///
/// ε is added to √v̂ as in PyTorch and Keras.
final class AdamUpdate {
    let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    let decoupled: Bool
    let buffers: OptimizerBuffers
    let decay: DecaySegments
    let parallelism: ElementwiseParallelism

    init(kind: String, decoupled: Bool, parameterCount: Int, beta1: Float, beta2: Float, epsilon: Float,
         weightDecay: Float, decayMask: [Range<Int>]?, parallelism: ElementwiseParallelism) {
        // The configuration schema bounds optimizer.beta1 and optimizer.beta2 to [0, 1).
        precondition(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "\(kind): betas must lie in [0, 1)")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        self.parallelism = parallelism
        buffers = OptimizerBuffers(kind: kind, parameterCount: parameterCount, names: ["firstMoment", "secondMoment"])
        decay = DecaySegments(parameterCount: parameterCount, weightDecay: weightDecay, mask: decayMask, kind: kind)
    }

    /// The scalars of the step begun last: the learning rate, `lr / (1 − β1ᵗ)` and `1 / √(1 − β2ᵗ)`.
    private var learningRate: Float = 0, stepSize: Float = 0, inverseRootCorrection2: Float = 0

    func beginStep(learningRate lr: Float) {
        buffers.step += 1
        let t = Double(buffers.step)
        learningRate = lr
        stepSize = lr / Float(1 - pow(Double(beta1), t))
        inverseRootCorrection2 = Float(1 / (1 - pow(Double(beta2), t)).squareRoot())
    }

    func update(_ range: Range<Int>, parameters: UnsafeMutablePointer<Float>, gradient: MeanGradient) {
        // p: [range], g: [range], m: [range], v: [range] -> p, m, v updated in place
        let lr = learningRate, stepSize = stepSize, inverseRootCorrection2 = inverseRootCorrection2
        let b1 = beta1, b2 = beta2, eps = epsilon, decoupled = decoupled
        gradient.forEachBlock(of: range) { block, gradients in
            decay.forEachSegment(in: block) { segment, wd in
                let coupled: Float = decoupled ? 0 : wd
                let shrink: Float = decoupled ? 1 - lr * wd : 1
                let p = parameters + segment.lowerBound, g = gradients + (segment.lowerBound - block.lowerBound)
                let m = buffers.pointers[0] + segment.lowerBound, v = buffers.pointers[1] + segment.lowerBound
                for i in 0..<segment.count {
                    let gi = g[i] + coupled * p[i]
                    m[i] = b1 * m[i] + (1 - b1) * gi
                    v[i] = b2 * v[i] + (1 - b2) * gi * gi
                    p[i] = shrink * p[i] - stepSize * m[i] / (v[i].squareRoot() * inverseRootCorrection2 + eps)
                }
            }
        }
    }
}

protocol AdamFamily: Optimizer {
    var rule: AdamUpdate { get }
}

extension AdamFamily {
    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate: Float) {
        rule.buffers.checkLengths(parameters, gradients)
        applyStep(parameters: parameters, gradients: gradients, learningRate: learningRate, parallelism: rule.parallelism)
    }

    public func beginStep(learningRate: Float) { rule.beginStep(learningRate: learningRate) }

    public func update(_ range: Range<Int>, parameters: UnsafeMutablePointer<Float>, gradient: MeanGradient) {
        rule.update(range, parameters: parameters, gradient: gradient)
    }

    public var state: OptimizerState { rule.buffers.state }

    public func restore(_ state: OptimizerState) throws { try rule.buffers.restore(state) }
}
