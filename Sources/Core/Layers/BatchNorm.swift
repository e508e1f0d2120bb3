import CBatchNorm

/// Batch normalisation over the last (channel) axis, as Keras' `BatchNormalization`.
///
/// Per-sample shape `[..., C]` in and out: `[H, W, C]` after a convolution (statistics per
/// channel over the `M = N·H·W` positions of a batch) or `[C]` after a dense layer (over `N`).
/// Parameters `gamma` `[C]` (ones) and `beta` `[C]` (zeros); state `running_mean` `[C]`
/// (zeros) and `running_variance` `[C]` (ones).
///
/// Training forward normalises with the batch mean and *biased* variance and records them
/// (``batchMean``, ``batchVariance``, ``batchCount``) without touching the running
/// statistics: a data-parallel trainer combines the statistics of all shards of a step and
/// then calls ``updateRunningStatistics(mean:variance:)`` once.
/// Inference forward uses the running statistics. The passes over the data run in `CBatchNorm`,
/// vectorised across channels at the CPU's width, with the bits of plain loops.
public final class BatchNorm: Layer {
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    /// Weight of the old running statistics in the update (Keras convention).
    public let momentum: Float
    /// Added to the variance before the square root.
    public let epsilon: Float
    /// Number of channels `C` (the last axis of the input).
    public let channels: Int

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "gamma", shape: [channels], initializer: .ones),
         ParameterSpec(name: "beta", shape: [channels], initializer: .zeros)]
    }

    public var stateSpecs: [ParameterSpec] {
        [ParameterSpec(name: "running_mean", shape: [channels], initializer: .zeros),
         ParameterSpec(name: "running_variance", shape: [channels], initializer: .ones)]
    }

    private var gamma: ParameterView?
    private var beta: ParameterView?
    private var runningMean: ParameterView?
    private var runningVariance: ParameterView?

    /// `[C]` batch mean, biased batch variance and `1/sqrt(variance + epsilon)` of the last training forward.
    private let mean: Tensor
    private let variance: Tensor
    private let inverseStd: Tensor
    /// `[C]` per-channel coefficients: inference computes `y = x·scale + shift`;
    /// backward computes `dx = scale·(dy − shift − x̂·slope)`.
    private let scale: Tensor
    private let shift: Tensor
    private let slope: Tensor
    /// `[C]` Double accumulators for per-channel sums.
    private let sums: UnsafeMutableBufferPointer<Double>
    private let secondSums: UnsafeMutableBufferPointer<Double>
    /// `x̂` of the last training forward, `[N, inputShape...]`.
    private let normalized: Tensor
    private let output: Tensor
    private let inputGradient: Tensor
    private var lastForwardTrained = false

    /// Number of normalised positions `M = N·H·W` of the last training forward.
    public private(set) var batchCount = 0

    /// `[C]` batch mean of the last training forward (a view of a layer workspace, valid while the layer lives).
    public var batchMean: UnsafeBufferPointer<Float> { UnsafeBufferPointer(mean.storage) }

    /// `[C]` biased batch variance (divided by ``batchCount``) of the last training forward (a view, as ``batchMean``).
    public var batchVariance: UnsafeBufferPointer<Float> { UnsafeBufferPointer(variance.storage) }

    /// A layer for per-sample inputs of shape `inputShape` (channels last).
    public init(inputShape: [Int], momentum: Float = 0.99, epsilon: Float = 1e-3) {
        precondition(!inputShape.isEmpty && inputShape.allSatisfy { $0 > 0 },
                     "BatchNorm needs a non-empty positive input shape, got \(inputShape)")
        precondition(momentum >= 0 && momentum <= 1 && epsilon > 0, "BatchNorm momentum \(momentum), epsilon \(epsilon)")
        self.inputShape = inputShape
        self.momentum = momentum
        self.epsilon = epsilon
        channels = inputShape[inputShape.count - 1]
        mean = Tensor(shape: [channels])
        variance = Tensor(shape: [channels])
        inverseStd = Tensor(shape: [channels])
        scale = Tensor(shape: [channels])
        shift = Tensor(shape: [channels])
        slope = Tensor(shape: [channels])
        sums = .allocate(capacity: channels)
        secondSums = .allocate(capacity: channels)
        sums.initialize(repeating: 0)
        secondSums.initialize(repeating: 0)
        normalized = Tensor(shape: [0] + inputShape)
        output = Tensor(shape: [0] + inputShape)
        inputGradient = Tensor(shape: [0] + inputShape)
    }

    deinit {
        sums.deallocate()
        secondSums.deallocate()
    }

    public func bind(parameters: [ParameterView], state: [ParameterView]) {
        precondition(parameters.count == 2 && state.count == 2, "BatchNorm binds 2 parameters and 2 state arrays")
        precondition((parameters + state).allSatisfy { $0.count == channels }, "BatchNorm views must have \(channels) elements")
        gamma = parameters[0]
        beta = parameters[1]
        runningMean = state[0]
        runningVariance = state[1]
    }

    /// `x: [N, inputShape...] -> y: [N, inputShape...]`.
    /// Training: `y = gamma·x̂ + beta` with `x̂ = (x − μ_B)/sqrt(σ²_B + ε)`; inference:
    /// the same with the running statistics.
    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        precondition(Array(x.shape.dropFirst()) == inputShape, "BatchNorm expects [N] + \(inputShape), got \(x.shape)")
        guard let gamma, let beta, let runningMean, let runningVariance else { preconditionFailure("BatchNorm used before bind") }
        output.resize(to: x.shape)
        if mode.isTraining {
            normalizeWithBatchStatistics(x, gamma: gamma.value, beta: beta.value)
        } else {
            for c in 0..<channels {
                let s = gamma.value[c] / (runningVariance.value[c] + epsilon).squareRoot()
                scale.storage[c] = s
                shift.storage[c] = beta.value[c] - runningMean.value[c] * s
            }
            applyAffine(x)
        }
        lastForwardTrained = mode.isTraining
        return output
    }

    /// Training forward: records batch statistics, writes `x̂` and `y`.
    private func normalizeWithBatchStatistics(_ x: Tensor, gamma: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>) {
        // x: [M, C] (contiguous, channels innermost) -> x̂, y: [M, C]; μ, σ², 1/σ: [C]
        let c = channels
        let m = x.count / c
        let xp = x.pointer
        // Two passes in Double: the mean, then the centred second moment.
        distill_batchnorm_sums(xp, m, c, sums.baseAddress!)
        let invM = 1 / Double(Swift.max(m, 1))
        for j in 0..<c { sums[j] *= invM }
        distill_batchnorm_centred_squares(xp, m, c, sums.baseAddress!, secondSums.baseAddress!)
        for j in 0..<c {
            let v = secondSums[j] * invM
            mean.storage[j] = Float(sums[j])
            variance.storage[j] = Float(v)
            inverseStd.storage[j] = Float(1 / (v + Double(epsilon)).squareRoot())
        }
        batchCount = m
        normalized.resize(to: x.shape)
        distill_batchnorm_normalize(xp, m, c, mean.pointer, inverseStd.pointer, gamma, beta, normalized.pointer, output.pointer)
    }

    /// `output = x · scale + shift` per channel, in one pass.
    private func applyAffine(_ x: Tensor) {
        // x: [M, C] -> y: [M, C]
        distill_batchnorm_affine(x.pointer, x.count / channels, channels, scale.pointer, shift.pointer, output.pointer)
    }

    /// `dy: [N, inputShape...] -> dx`, the exact training-mode gradient through the batch statistics:
    /// `dx = invstd·gamma/M · (M·dy − Σdy − x̂·Σ(dy·x̂))`, `dgamma = Σ dy·x̂`, `dbeta = Σ dy`
    /// (sums per channel over the `M` positions, accumulated in Double).
    public func backward(_ dy: Tensor) -> Tensor {
        // dy, x̂: [M, C] -> dx: [M, C]; dgamma, dbeta: [C]
        precondition(lastForwardTrained, "BatchNorm.backward needs a training-mode forward")
        guard let gamma, let beta else { preconditionFailure("BatchNorm used before bind") }
        precondition(dy.shape == normalized.shape, "BatchNorm.backward expects dy \(normalized.shape), got \(dy.shape)")
        let c = channels
        let m = batchCount
        let g = dy.pointer
        let xh = normalized.pointer
        distill_batchnorm_gradient_sums(g, xh, m, c, sums.baseAddress!, secondSums.baseAddress!)
        if let dGamma = gamma.gradient, let dBeta = beta.gradient {
            for j in 0..<c {
                // 0 + v: the bits of adding into a cleared buffer (−0 becomes +0).
                dGamma[j] = 0 + Float(secondSums[j])
                dBeta[j] = 0 + Float(sums[j])
            }
        }
        // dx = k·(dy − a − x̂·b) with k = invstd·gamma, a = Σdy/M, b = Σ(dy·x̂)/M.
        let invM = 1 / Double(Swift.max(m, 1))
        for j in 0..<c {
            scale.storage[j] = inverseStd.storage[j] * gamma.value[j]
            shift.storage[j] = Float(sums[j] * invM)
            slope.storage[j] = Float(secondSums[j] * invM)
        }
        inputGradient.resize(to: dy.shape)
        distill_batchnorm_input_gradient(g, xh, m, c, scale.pointer, shift.pointer, slope.pointer, inputGradient.pointer)
        return inputGradient
    }

    /// Folds one step's batch statistics into the running statistics (Keras convention):
    /// `running = momentum·running + (1 − momentum)·batch`, for `mean` and `variance`, each `[C]`.
    /// The trainer passes the statistics combined over all shards of the step (biased variance).
    public func updateRunningStatistics(mean: UnsafePointer<Float>, variance: UnsafePointer<Float>) {
        guard let runningMean, let runningVariance else { preconditionFailure("BatchNorm used before bind") }
        let keep = momentum
        let take = 1 - momentum
        for j in 0..<channels {
            runningMean.value[j] = keep * runningMean.value[j] + take * mean[j]
            runningVariance.value[j] = keep * runningVariance.value[j] + take * variance[j]
        }
    }
}
