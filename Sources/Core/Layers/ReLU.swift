/// The rectifier `y = max(x, 0)`, elementwise.
///
/// Per-sample shape `inputShape` in and out. Backward passes `dy` where the saved output is
/// positive and 0 elsewhere (subgradient 0 at exactly 0).
public final class ReLU: Layer {
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }

    private let output: Tensor
    private let inputGradient: Tensor

    /// A rectifier for per-sample inputs of shape `inputShape`.
    public init(inputShape: [Int]) {
        self.inputShape = inputShape
        output = Tensor(shape: [0] + inputShape)
        inputGradient = Tensor(shape: [0] + inputShape)
    }

    /// `x: [N, inputShape...] -> y: [N, inputShape...]`.
    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        rectifierForward(x, into: output, slope: 0, inputShape: inputShape)
    }

    /// `dy: [N, inputShape...] -> dx: [N, inputShape...]`.
    public func backward(_ dy: Tensor) -> Tensor {
        rectifierBackward(dy, output: output, into: inputGradient, slope: 0)
    }
}
