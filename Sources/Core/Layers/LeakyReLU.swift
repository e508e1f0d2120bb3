/// The leaky rectifier `y = x` for `x > 0`, `y = alpha·x` otherwise, elementwise.
///
/// Per-sample shape `inputShape` in and out. Backward reads the sign of the saved output
/// (which equals the sign of the input because `alpha ≥ 0`): `dx = dy` where `y > 0`,
/// `alpha·dy` elsewhere, so the subgradient at exactly 0 is `alpha`.
public final class LeakyReLU: Layer {
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    /// Slope for non-positive inputs, `≥ 0`.
    public let alpha: Float

    private let output: Tensor
    private let inputGradient: Tensor

    /// A leaky rectifier for per-sample inputs of shape `inputShape` with slope `alpha ≥ 0`
    /// (a precondition: `LayerFactory` checks the `alpha` of every spec).
    public init(inputShape: [Int], alpha: Float) {
        precondition(alpha >= 0, "LeakyReLU alpha must be >= 0 (backward reads the output sign), got \(alpha)")
        self.inputShape = inputShape
        self.alpha = alpha
        output = Tensor(shape: [0] + inputShape)
        inputGradient = Tensor(shape: [0] + inputShape)
    }

    /// `x: [N, inputShape...] -> y: [N, inputShape...]`.
    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        rectifierForward(x, into: output, slope: alpha, inputShape: inputShape)
    }

    /// `dy: [N, inputShape...] -> dx: [N, inputShape...]`.
    public func backward(_ dy: Tensor) -> Tensor {
        rectifierBackward(dy, output: output, into: inputGradient, slope: alpha)
    }
}

/// `y = x > 0 ? x : slope·x` into `y` (resized to `x`'s shape); shared by ``ReLU`` and ``LeakyReLU``.
func rectifierForward(_ x: Tensor, into y: Tensor, slope: Float, inputShape: [Int]) -> Tensor {
    // x: [N, inputShape...] -> y: same
    precondition(Array(x.shape.dropFirst()) == inputShape, "rectifier expects [N] + \(inputShape), got \(x.shape)")
    y.resize(to: x.shape)
    let xp = x.pointer
    let yp = y.pointer
    for i in 0..<x.count {
        let v = xp[i]
        yp[i] = v > 0 ? v : slope * v
    }
    return y
}

/// `dx = y > 0 ? dy : slope·dy` into `dx` (resized to `dy`'s shape), `y` the saved forward output.
func rectifierBackward(_ dy: Tensor, output y: Tensor, into dx: Tensor, slope: Float) -> Tensor {
    // dy, y: [N, inputShape...] -> dx: same
    precondition(dy.shape == y.shape, "rectifier backward expects dy \(y.shape), got \(dy.shape)")
    dx.resize(to: dy.shape)
    let g = dy.pointer
    let yp = y.pointer
    let d = dx.pointer
    for i in 0..<dy.count { d[i] = yp[i] > 0 ? g[i] : slope * g[i] }
    return dx
}
