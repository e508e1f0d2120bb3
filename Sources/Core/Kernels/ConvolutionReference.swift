/// Direct nested-loop convolution, the obviously-correct kernel the fast `Conv2D` is tested against.
/// Arrays are NHWC (`x`, `y`, `dy`) and HWIO (`kernel`); accumulation is in Double.
enum ConvolutionReference {
    /// `x: [N, H, W, Cin], kernel: [k, k, Cin, Cout], bias: [Cout] or empty -> y: [N, H', W', Cout]`
    static func forward(x: [Float], batch: Int, geometry g: WindowGeometry, kernel: [Float], bias: [Float],
                        filters cout: Int) -> [Float] {
        var y = [Float](repeating: 0, count: batch * g.outputPixels * cout)
        for n in 0..<batch { for oh in 0..<g.outHeight { for ow in 0..<g.outWidth { for co in 0..<cout {
            var sum = bias.isEmpty ? 0 : Double(bias[co])
            for ki in 0..<g.kernel { for kj in 0..<g.kernel {
                let ih = oh * g.stride - g.padTop + ki, iw = ow * g.stride - g.padLeft + kj
                guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { continue }
                for ci in 0..<g.channels {
                    let xv = x[((n * g.height + ih) * g.width + iw) * g.channels + ci]
                    let kv = kernel[((ki * g.kernel + kj) * g.channels + ci) * cout + co]
                    sum += Double(xv) * Double(kv)
                }
            } }
            y[((n * g.outHeight + oh) * g.outWidth + ow) * cout + co] = Float(sum)
        } } } }
        return y
    }

    /// Gradients of `Σ y ⊙ dy` for the forward above: `dx [N, H, W, Cin]`, `dKernel [k, k, Cin, Cout]`,
    /// `dBias [Cout]`.
    static func backward(x: [Float], batch: Int, geometry g: WindowGeometry, kernel: [Float], dy: [Float],
                         filters cout: Int) -> (dx: [Float], dKernel: [Float], dBias: [Float]) {
        var dx = [Double](repeating: 0, count: x.count)
        var dk = [Double](repeating: 0, count: kernel.count)
        var db = [Double](repeating: 0, count: cout)
        for n in 0..<batch { for oh in 0..<g.outHeight { for ow in 0..<g.outWidth { for co in 0..<cout {
            let d = Double(dy[((n * g.outHeight + oh) * g.outWidth + ow) * cout + co])
            db[co] += d
            for ki in 0..<g.kernel { for kj in 0..<g.kernel {
                let ih = oh * g.stride - g.padTop + ki, iw = ow * g.stride - g.padLeft + kj
                guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { continue }
                for ci in 0..<g.channels {
                    let xi = ((n * g.height + ih) * g.width + iw) * g.channels + ci
                    let wi = ((ki * g.kernel + kj) * g.channels + ci) * cout + co
                    dx[xi] += d * Double(kernel[wi])
                    dk[wi] += d * Double(x[xi])
                }
            } }
        } } } }
        return (dx.map { Float($0) }, dk.map { Float($0) }, db.map { Float($0) })
    }
}
