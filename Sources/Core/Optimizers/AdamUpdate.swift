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

    func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate lr: Float) {
        // p: [P], g: [P], m: [P], v: [P] -> p, m, v updated in place
        buffers.checkLengths(parameters, gradients)
        buffers.step += 1
        guard let p = parameters.baseAddress, let g = gradients.baseAddress else { return }
        let m = buffers.pointers[0], v = buffers.pointers[1]
        let t = Double(buffers.step)
        let stepSize = lr / Float(1 - pow(Double(beta1), t))
        let inverseRootCorrection2 = Float(1 / (1 - pow(Double(beta2), t)).squareRoot())
        let b1 = beta1, b2 = beta2, eps = epsilon, decoupled = decoupled
        decay.forEachPiece(parallelism) { range, wd in
            let coupled: Float = decoupled ? 0 : wd
            let shrink: Float = decoupled ? 1 - lr * wd : 1
            for i in range {
                let gi = g[i] + coupled * p[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                p[i] = shrink * p[i] - stepSize * m[i] / (v[i].squareRoot() * inverseRootCorrection2 + eps)
            }
        }
    }
}

/// ``Adam`` and ``AdamW``: optimisers that are an ``AdamUpdate`` with a kind and decay mode.
protocol AdamFamily: Optimizer {
    var update: AdamUpdate { get }
}

extension AdamFamily {
    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate: Float) {
        update.step(parameters: parameters, gradients: gradients, learningRate: learningRate)
    }

    public var state: OptimizerState { update.buffers.state }

    public func restore(_ state: OptimizerState) throws { try update.buffers.restore(state) }
}
