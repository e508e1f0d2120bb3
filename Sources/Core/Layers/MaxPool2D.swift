/// Max pooling over square windows of an NHWC tensor, channel by channel (TensorFlow padding:
/// padded positions never win).
///
/// Forward records, for every output element, the offset of its maximum within the input
/// sample (`Int32`, the first maximum in row-major window order on ties); backward routes each
/// output gradient to that element.
public final class MaxPool2D: Layer {
    /// Window size, stride and padding.
    public let window: PoolingWindow
    public var inputShape: [Int] { window.inputShape }
    public var outputShape: [Int] { window.outputShape }
    private var geometry: WindowGeometry { window.geometry }
    private let y = Tensor(shape: [0])
    private let dx = Tensor(shape: [0])
    private var argmax: UnsafeMutableBufferPointer<Int32> = .allocate(capacity: 0)

    /// Pools `poolSize × poolSize` windows every `stride` pixels (default `poolSize`) of an
    /// `[H, W, C]` input; output `[H', W', C]`.
    public init(inputShape: [Int], poolSize: Int, stride: Int? = nil, padding: Padding = .valid) {
        window = PoolingWindow(inputShape: inputShape, size: poolSize, stride: stride, padding: padding)
    }

    deinit { argmax.deallocate() }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        // x: [N, H, W, C] -> y: [N, H', W', C], argmax: [N, H', W', C] offsets into an input sample
        precondition(Array(x.shape.dropFirst()) == inputShape, "MaxPool2D expects [N] + \(inputShape), got \(x.shape)")
        let g = geometry, c = g.channels, n = x.batch
        y.resize(batch: n, item: outputShape)
        if argmax.count < y.count {
            argmax.deallocate()
            argmax = .allocate(capacity: y.count)
        }
        var out = y.pointer
        var arg = argmax.baseAddress!
        for s in 0..<n {
            let sample = x.pointer + s * g.inputCount
            for oh in 0..<g.outHeight {
                let r = g.rows(oh)
                for ow in 0..<g.outWidth {
                    let q = g.columns(ow)
                    let first = (r.lo * g.width + q.lo) * c
                    out.update(from: sample + first, count: c)
                    for ch in 0..<c { arg[ch] = Int32(first + ch) }
                    for ih in r.lo..<r.hi {
                        for iw in q.lo..<q.hi {
                            let offset = (ih * g.width + iw) * c
                            if offset == first { continue }
                            let v = sample + offset
                            for ch in 0..<c where v[ch] > out[ch] {
                                out[ch] = v[ch]
                                arg[ch] = Int32(offset + ch)
                            }
                        }
                    }
                    out += c
                    arg += c
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy: [N, H', W', C] -> dx: [N, H, W, C], dx[argmax] += dy
        let n = dy.batch, perSample = y.itemCount
        precondition(dy.shape == y.shape, "MaxPool2D dy shape \(dy.shape), expected \(y.shape)")
        dx.resize(batch: n, item: inputShape)
        dx.zero()
        for s in 0..<n {
            let d = dx.pointer + s * geometry.inputCount
            let g = dy.pointer + s * perSample
            let a = argmax.baseAddress! + s * perSample
            for i in 0..<perSample { d[Int(a[i])] += g[i] }
        }
        return dx
    }
}
