/// Max pooling over square windows of an NHWC tensor, channel by channel (TensorFlow padding:
/// padded positions never win).
///
/// Forward computes each window's maxima (`v > max ? v : max` in row-major window order) in a
/// branch-free loop over contiguous channels, in training and in inference alike. Training keeps
/// a reference to the input instead of recording positions: backward routes each output
/// gradient to the first element of its window (row-major order) equal to the maximum, which
/// is the element the forward picked. The input tensor must therefore stay unchanged between
/// `forward` and `backward`, as for ``Conv2D``.
public final class MaxPool2D: Layer {
    /// Window size, stride and padding.
    public let window: PoolingWindow
    public var inputShape: [Int] { window.inputShape }
    public var outputShape: [Int] { window.outputShape }
    private var geometry: WindowGeometry { window.geometry }
    private let y = Tensor(shape: [0])
    private let dx = Tensor(shape: [0])
    /// One window's "gradient already routed" flags, one per channel (1 or 0).
    private let routed: Tensor
    private var savedInput: Tensor?

    /// Pools `poolSize × poolSize` windows every `stride` pixels (default `poolSize`) of an
    /// `[H, W, C]` input; output `[H', W', C]`.
    public init(inputShape: [Int], poolSize: Int, stride: Int? = nil, padding: Padding = .valid) {
        window = PoolingWindow(inputShape: inputShape, size: poolSize, stride: stride, padding: padding)
        routed = Tensor(shape: [window.geometry.channels])
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        // x: [N, H, W, C] -> y: [N, H', W', C]
        precondition(Array(x.shape.dropFirst()) == inputShape, "MaxPool2D expects [N] + \(inputShape), got \(x.shape)")
        let g = geometry, c = g.channels, n = x.batch
        y.resize(batch: n, item: outputShape)
        savedInput = mode.isTraining ? x : nil
        let input = x.pointer, out = y.pointer
        g.forEachWindow(samples: n) { s, rows, columns, pixel in
            let sample = input + s * g.inputCount, out = out + pixel * c
            out.update(from: sample + (rows.lowerBound * g.width + columns.lowerBound) * c, count: c)
            for ih in rows {
                for iw in columns {
                    let v = sample + (ih * g.width + iw) * c
                    for ch in 0..<c { out[ch] = v[ch] > out[ch] ? v[ch] : out[ch] }
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy: [N, H', W', C] -> dx: [N, H, W, C]: dy goes to the first element equal to its window's maximum
        guard let x = savedInput else { preconditionFailure("MaxPool2D.backward without a training-mode forward") }
        precondition(dy.shape == y.shape, "MaxPool2D dy shape \(dy.shape), expected \(y.shape)")
        let g = geometry, c = g.channels
        dx.resize(batch: x.batch, item: inputShape)
        // Windows that tile the input write each element once; others add into a zeroed dx.
        let overlapping = !g.windowsTileInput
        if overlapping { dx.zero() }
        let input = x.pointer, maxima = y.pointer, gradients = dy.pointer, out = dx.pointer, flags = routed.pointer
        let vectors = c / 8 * 8
        g.forEachWindow(samples: x.batch) { s, rows, columns, pixel in
            let sample = input + s * g.inputCount, d = out + s * g.inputCount
            let maximum = maxima + pixel * c, gradient = gradients + pixel * c
            flags.update(repeating: 0, count: c)
            for ih in rows {
                for iw in columns {
                    let offset = (ih * g.width + iw) * c
                    MaxPool2D.route(value: sample + offset, maximum: maximum, gradient: gradient, routed: flags,
                                    into: d + offset, vectors: vectors, channels: c, adding: overlapping)
                }
            }
        }
        return dx
    }

    /// One window element's channels: `target = share` (or `+= share` when `adding`), where
    /// `share` is the gradient if the element equals the maximum and no earlier element of the
    /// window took it, else 0. Eight channels at a time, without branches, then the rest.
    @inline(__always)
    private static func route(value v: UnsafePointer<Float>, maximum: UnsafePointer<Float>, gradient: UnsafePointer<Float>,
                              routed: UnsafeMutablePointer<Float>, into target: UnsafeMutablePointer<Float>,
                              vectors: Int, channels c: Int, adding: Bool) {
        @inline(__always) func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
            UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        }
        var ch = 0
        while ch < vectors {
            let taken = load(routed, ch)
            let hit = (taken .== 0) .& (load(v, ch) .== load(maximum, ch))
            var share = SIMD8<Float>(repeating: 0)
            share.replace(with: load(gradient, ch), where: hit)
            let result = adding ? load(target, ch) + share : share
            UnsafeMutableRawPointer(target + ch).storeBytes(of: result, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(routed + ch).storeBytes(of: taken.replacing(with: 1, where: hit), as: SIMD8<Float>.self)
            ch += 8
        }
        while ch < c {
            let hit = routed[ch] == 0 && v[ch] == maximum[ch]
            let share: Float = hit ? gradient[ch] : 0
            target[ch] = adding ? target[ch] + share : share
            if hit { routed[ch] = 1 }
            ch += 1
        }
    }
}
