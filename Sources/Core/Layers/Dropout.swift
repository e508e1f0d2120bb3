/// Inverted dropout: in training, each element is kept with probability `1 − rate` and scaled
/// by `1/(1 − rate)`, else zeroed; in inference, the identity.
///
/// Per-sample shape `inputShape` in and out. The keep decision for element `i` of batch row `n`
/// is `random.child(keyIndex).child(sampleOffset + n).uniform(i) >= rate`, with `random` and
/// `sampleOffset` from ``ForwardMode/training(random:sampleOffset:)``: a mask depends only on
/// the run key, the layer (`keyIndex`), the global sample and the element, never on how the
/// batch was split into shards or which worker computes it.
public final class Dropout: Layer {
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    /// Probability of dropping an element, in `[0, 1)`.
    public let rate: Float
    /// This layer's coordinate under the run key; distinct per dropout layer of a model.
    public let keyIndex: UInt64

    /// Per element `0` or `1/(1 − rate)` from the last training forward, `[N, inputShape...]`.
    private let mask: Tensor
    /// Whether the last forward was the identity (inference, or `rate == 0`).
    private var lastForwardWasIdentity = true
    private let output: Tensor
    private let inputGradient: Tensor

    /// A dropout layer for per-sample inputs of shape `inputShape`.
    public init(inputShape: [Int], rate: Float, keyIndex: UInt64) {
        precondition(rate >= 0 && rate < 1, "Dropout rate must be in [0, 1), got \(rate)")
        self.inputShape = inputShape
        self.rate = rate
        self.keyIndex = keyIndex
        mask = Tensor(shape: [0] + inputShape)
        output = Tensor(shape: [0] + inputShape)
        inputGradient = Tensor(shape: [0] + inputShape)
    }

    /// `x: [N, inputShape...] -> y: [N, inputShape...]`, a copy of `x` unless training with `rate > 0`.
    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        // x: [N, F] (F = per-sample count) -> y = x ⊙ mask: [N, F]
        precondition(Array(x.shape.dropFirst()) == inputShape, "Dropout expects [N] + \(inputShape), got \(x.shape)")
        guard case let .training(random, sampleOffset) = mode, rate > 0 else {
            lastForwardWasIdentity = true
            output.copy(from: x)
            return output
        }
        lastForwardWasIdentity = false
        let n = x.batch
        let f = inputShape.reduce(1, *)
        output.resize(to: x.shape)
        mask.resize(to: x.shape)
        let layerRandom = random.child(keyIndex)
        let kept = 1 / (1 - rate)
        let xp = x.pointer
        let y = output.pointer
        let m = mask.pointer
        for row in 0..<n {
            let sampleRandom = layerRandom.child(UInt64(sampleOffset + row))
            let base = row * f
            for i in 0..<f {
                let s: Float = sampleRandom.uniform(UInt64(i)) >= rate ? kept : 0
                m[base + i] = s
                y[base + i] = xp[base + i] * s
            }
        }
        return output
    }

    /// `dy: [N, inputShape...] -> dx = dy ⊙ mask` (a copy of `dy` after an identity forward).
    public func backward(_ dy: Tensor) -> Tensor {
        // dy: [N, F] -> dx: [N, F]
        if lastForwardWasIdentity {
            inputGradient.copy(from: dy)
            return inputGradient
        }
        precondition(dy.shape == mask.shape, "Dropout.backward expects dy \(mask.shape), got \(dy.shape)")
        inputGradient.resize(to: dy.shape)
        let g = dy.pointer
        let m = mask.pointer
        let dx = inputGradient.pointer
        for i in 0..<dy.count { dx[i] = g[i] * m[i] }
        return inputGradient
    }
}
