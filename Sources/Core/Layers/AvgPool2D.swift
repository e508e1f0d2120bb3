/// Average pooling over square windows of an NHWC tensor, channel by channel. With `.same`
/// padding a border window averages only its in-bounds elements (TensorFlow semantics).
public final class AvgPool2D: Layer {
    /// Window size, stride and padding.
    public let window: PoolingWindow
    public var inputShape: [Int] { window.inputShape }
    public var outputShape: [Int] { window.outputShape }
    private var geometry: WindowGeometry { window.geometry }
    private let y = Tensor(shape: [0])
    private let dx = Tensor(shape: [0])

    /// Pools `poolSize × poolSize` windows every `stride` pixels (default `poolSize`) of an
    /// `[H, W, C]` input; output `[H', W', C]`.
    public init(inputShape: [Int], poolSize: Int, stride: Int? = nil, padding: Padding = .valid) {
        window = PoolingWindow(inputShape: inputShape, size: poolSize, stride: stride, padding: padding)
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        // x: [N, H, W, C] -> y: [N, H', W', C]
        precondition(Array(x.shape.dropFirst()) == inputShape, "AvgPool2D expects [N] + \(inputShape), got \(x.shape)")
        let g = geometry, c = g.channels, n = x.batch
        y.resize(batch: n, item: outputShape)
        y.zero()
        let out = y.pointer
        g.forEachWindow(samples: n) { s, rows, columns, pixel in
            let sample = x.pointer + s * g.inputCount, out = out + pixel * c
            for ih in rows {
                for iw in columns {
                    let v = sample + (ih * g.width + iw) * c
                    for ch in 0..<c { out[ch] += v[ch] }
                }
            }
            let scale = 1 / Float(rows.count * columns.count)
            for ch in 0..<c { out[ch] *= scale }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy: [N, H', W', C] -> dx: [N, H, W, C]; each window element gets dy / (window's in-bounds count)
        precondition(dy.shape == y.shape, "AvgPool2D dy shape \(dy.shape), expected \(y.shape)")
        let g = geometry, c = g.channels, n = dy.batch
        dx.resize(batch: n, item: inputShape)
        dx.zero()
        var grad = UnsafePointer(dy.pointer)
        for s in 0..<n {
            let sample = dx.pointer + s * g.inputCount
            for oh in 0..<g.outHeight {
                let r = g.rows(oh)
                for ow in 0..<g.outWidth {
                    let q = g.columns(ow)
                    let scale = 1 / Float((r.hi - r.lo) * (q.hi - q.lo))
                    for ih in r.lo..<r.hi {
                        for iw in q.lo..<q.hi {
                            let d = sample + (ih * g.width + iw) * c
                            for ch in 0..<c { d[ch] += grad[ch] * scale }
                        }
                    }
                    grad += c
                }
            }
        }
        return dx
    }
}
