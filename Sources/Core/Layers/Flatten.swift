/// Reshapes each sample to a vector: `[H, W, C] -> [H·W·C]` (any per-sample shape to its element count).
///
/// The data is copied into the layer's workspace (and back in backward), so the output does
/// not alias the previous layer's workspace.
public final class Flatten: Layer {
    public let inputShape: [Int]
    /// `[product of inputShape]`.
    public let outputShape: [Int]

    private let output: Tensor
    private let inputGradient: Tensor

    /// A flattening layer for per-sample inputs of shape `inputShape`.
    public init(inputShape: [Int]) {
        self.inputShape = inputShape
        outputShape = [inputShape.reduce(1, *)]
        output = Tensor(shape: [0] + outputShape)
        inputGradient = Tensor(shape: [0] + inputShape)
    }

    /// `x: [N, inputShape...] -> y: [N, H·W·C]`.
    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        precondition(Array(x.shape.dropFirst()) == inputShape, "Flatten expects [N] + \(inputShape), got \(x.shape)")
        output.resize(batch: x.shape[0], item: outputShape)
        output.pointer.update(from: x.pointer, count: x.count)
        return output
    }

    /// `dy: [N, H·W·C] -> dx: [N, inputShape...]`.
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(Array(dy.shape.dropFirst()) == outputShape, "Flatten.backward expects [N] + \(outputShape), got \(dy.shape)")
        inputGradient.resize(batch: dy.shape[0], item: inputShape)
        inputGradient.pointer.update(from: dy.pointer, count: dy.count)
        return inputGradient
    }
}
