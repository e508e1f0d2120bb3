/// The window of a pooling layer: a `size × size` square moved `stride` pixels at a time over an
/// `[H, W, C]` sample, with TensorFlow padding rules. Shared by ``MaxPool2D`` and ``AvgPool2D``.
public struct PoolingWindow: Sendable, Equatable {
    /// Side of the square window.
    public let size: Int
    /// Step between windows.
    public let stride: Int
    /// Border treatment.
    public let padding: Padding
    /// Per-sample input shape `[H, W, C]`.
    public let inputShape: [Int]
    /// Per-sample output shape `[H', W', C]`.
    public let outputShape: [Int]
    let geometry: WindowGeometry

    /// A window of `size` every `stride` pixels (default `size`) over `inputShape`.
    public init(inputShape: [Int], size: Int, stride: Int?, padding: Padding) {
        let stride = stride ?? size
        geometry = WindowGeometry(inputShape: inputShape, kernel: size, stride: stride, padding: padding)
        self.size = size
        self.stride = stride
        self.padding = padding
        self.inputShape = inputShape
        outputShape = [geometry.outHeight, geometry.outWidth, geometry.channels]
    }
}
