/// Direct per-element pooling loops, the obviously-correct kernels the fast pooling layers are
/// tested against. Arrays are NHWC; windows and padding follow `WindowGeometry`.
enum PoolingReference {
    /// In-bounds input offsets (within a sample) of the window of output pixel `(oh, ow)`,
    /// channel `ch`, in row-major window order.
    static func window(_ g: WindowGeometry, _ oh: Int, _ ow: Int, _ ch: Int) -> [Int] {
        var offsets: [Int] = []
        for ki in 0..<g.kernel {
            for kj in 0..<g.kernel {
                let ih = oh * g.stride - g.padTop + ki, iw = ow * g.stride - g.padLeft + kj
                if ih >= 0, ih < g.height, iw >= 0, iw < g.width { offsets.append((ih * g.width + iw) * g.channels + ch) }
            }
        }
        return offsets
    }

    /// Max pooling: `y [N, H', W', C]` and `dx [N, H, W, C]` for the upstream gradient `dy`,
    /// routing each gradient to the first maximum of its window.
    static func maxPool(x: [Float], dy: [Float], batch: Int, geometry g: WindowGeometry) -> (y: [Float], dx: [Float]) {
        pool(x: x, dy: dy, batch: batch, geometry: g) { values in
            var best = 0
            for i in values.indices where values[i] > values[best] { best = i }
            return (values[best], values.indices.map { $0 == best ? 1 : 0 })
        }
    }

    /// Average pooling over in-bounds elements: `y` and `dx` as for ``maxPool(x:dy:batch:geometry:)``.
    static func avgPool(x: [Float], dy: [Float], batch: Int, geometry g: WindowGeometry) -> (y: [Float], dx: [Float]) {
        pool(x: x, dy: dy, batch: batch, geometry: g) { values in
            let weight = 1 / Double(values.count)
            return (Float(values.reduce(0) { $0 + Double($1) } * weight), values.map { _ in weight })
        }
    }

    /// Applies `reduce` (window values -> output value and each value's weight in the gradient)
    /// to every output element.
    private static func pool(x: [Float], dy: [Float], batch: Int, geometry g: WindowGeometry,
                             reduce: ([Float]) -> (Float, [Double])) -> (y: [Float], dx: [Float]) {
        var y = [Float](repeating: 0, count: batch * g.outputPixels * g.channels)
        var dx = [Double](repeating: 0, count: x.count)
        for n in 0..<batch { for oh in 0..<g.outHeight { for ow in 0..<g.outWidth { for ch in 0..<g.channels {
            let offsets = window(g, oh, ow, ch).map { n * g.inputCount + $0 }
            let (value, weights) = reduce(offsets.map { x[$0] })
            let o = ((n * g.outHeight + oh) * g.outWidth + ow) * g.channels + ch
            y[o] = value
            for (offset, w) in zip(offsets, weights) { dx[offset] += w * Double(dy[o]) }
        } } } }
        return (y, dx.map { Float($0) })
    }
}
