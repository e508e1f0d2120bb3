/// Global average pooling: the mean of every channel over all pixels, `[H, W, C] -> [C]`.
public final class GlobalAvgPool: Layer {
    public let inputShape: [Int]
    public let outputShape: [Int]

    private let y = Tensor(shape: [0])
    private let dx = Tensor(shape: [0])

    /// Pools an `[H, W, C]` input to `[C]`.
    public init(inputShape: [Int]) {
        precondition(inputShape.count == 3, "GlobalAvgPool needs an [H, W, C] input shape, got \(inputShape)")
        self.inputShape = inputShape
        self.outputShape = [inputShape[2]]
    }

    private var pixels: Int { inputShape[0] * inputShape[1] }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        // x: [N, H, W, C] -> y: [N, C]
        precondition(Array(x.shape.dropFirst()) == inputShape, "GlobalAvgPool expects [N] + \(inputShape), got \(x.shape)")
        let n = x.batch, c = outputShape[0], pixels = pixels
        y.resize(batch: n, item: outputShape)
        y.zero()
        let scale = 1 / Float(pixels)
        for s in 0..<n {
            let out = y.pointer + s * c
            var v = UnsafePointer(x.pointer + s * pixels * c)
            for _ in 0..<pixels {
                for ch in 0..<c { out[ch] += v[ch] }
                v += c
            }
            for ch in 0..<c { out[ch] *= scale }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy: [N, C] -> dx: [N, H, W, C] = dy / (H·W) at every pixel
        let n = dy.batch, c = outputShape[0], pixels = pixels
        precondition(dy.shape == [n, c], "GlobalAvgPool dy shape \(dy.shape), expected [\(n), \(c)]")
        dx.resize(batch: n, item: inputShape)
        let scale = 1 / Float(pixels)
        for s in 0..<n {
            let g = dy.pointer + s * c
            var d = dx.pointer + s * pixels * c
            for _ in 0..<pixels {
                for ch in 0..<c { d[ch] = g[ch] * scale }
                d += c
            }
        }
        return dx
    }
}
