/// Max pooling over square windows of an NHWC tensor, channel by channel (TensorFlow padding:
/// padded positions never win).
///
/// Forward records, for every output element, the offset of its maximum within the input
/// sample (`Int32`, the first maximum in row-major window order on ties); backward routes each
/// output gradient to that element. Inference-mode forward computes the same maxima without
/// recording positions.
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
        if !mode.isTraining {
            maximaOnly(x, samples: n)
            return y
        }
        if argmax.count < y.count {
            argmax.deallocate()
            argmax = .allocate(capacity: y.count)
        }
        let out = y.pointer, arg = argmax.baseAddress!
        g.forEachWindow(samples: n) { s, rows, columns, pixel in
            let sample = x.pointer + s * g.inputCount, out = out + pixel * c, arg = arg + pixel * c
            let first = (rows.lowerBound * g.width + columns.lowerBound) * c
            out.update(from: sample + first, count: c)
            for ch in 0..<c { arg[ch] = Int32(first + ch) }
            for ih in rows {
                for iw in columns {
                    let offset = (ih * g.width + iw) * c
                    if offset == first { continue }
                    let v = sample + offset
                    for ch in 0..<c where v[ch] > out[ch] {
                        out[ch] = v[ch]
                        arg[ch] = Int32(offset + ch)
                    }
                }
            }
        }
        return y
    }

    /// Inference: the same maxima without positions (`v > max ? v : max`, as training picks them),
    /// in a branch-free loop over contiguous channels.
    private func maximaOnly(_ x: Tensor, samples n: Int) {
        let g = geometry, c = g.channels, out = y.pointer
        g.forEachWindow(samples: n) { s, rows, columns, pixel in
            let sample = x.pointer + s * g.inputCount, out = out + pixel * c
            out.update(from: sample + (rows.lowerBound * g.width + columns.lowerBound) * c, count: c)
            for ih in rows {
                for iw in columns {
                    let v = sample + (ih * g.width + iw) * c
                    for ch in 0..<c { out[ch] = v[ch] > out[ch] ? v[ch] : out[ch] }
                }
            }
        }
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
