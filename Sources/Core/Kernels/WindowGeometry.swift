/// The geometry of a square sliding window over an `[H, W, C]` sample: the shared arithmetic of
/// `Conv2D`, `MaxPool2D`, `AvgPool2D`, im2col/col2im and their reference kernels.
struct WindowGeometry: Equatable {
    /// Input height, width and channels.
    let height: Int, width: Int, channels: Int
    /// Window side and step, in input pixels.
    let kernel: Int, stride: Int
    /// Padded rows above and columns left of the input (TensorFlow: the smaller half).
    let padTop: Int, padLeft: Int
    /// Output height and width.
    let outHeight: Int, outWidth: Int

    /// Geometry for a per-sample input shape `[H, W, C]` (preconditions: `LayerFactory` checks
    /// the sizes and the fit of every window a spec asks for).
    init(inputShape: [Int], kernel: Int, stride: Int, padding: Padding) {
        precondition(inputShape.count == 3, "window layers need an [H, W, C] input shape, got \(inputShape)")
        precondition(kernel >= 1 && stride >= 1, "kernel \(kernel) and stride \(stride) must be positive")
        height = inputShape[0]
        width = inputShape[1]
        channels = inputShape[2]
        self.kernel = kernel
        self.stride = stride
        padTop = padding.paddingBefore(input: height, kernel: kernel, stride: stride)
        padLeft = padding.paddingBefore(input: width, kernel: kernel, stride: stride)
        outHeight = padding.outputSize(input: height, kernel: kernel, stride: stride)
        outWidth = padding.outputSize(input: width, kernel: kernel, stride: stride)
        precondition(outHeight > 0 && outWidth > 0, "window \(kernel) does not fit input \(inputShape) with \(padding) padding")
    }

    /// The geometry of the convolution that computes a stride-1 window's input gradient: it runs
    /// over `dy [H', W', filters]` with the flipped kernel and `k − 1 − pad` padding, so its
    /// output is `[H, W]` (the "full" correlation of `dy`). Nil for strides above 1.
    func inputGradient(filters: Int) -> WindowGeometry? {
        guard stride == 1 else { return nil }
        return WindowGeometry(height: outHeight, width: outWidth, channels: filters, kernel: kernel, stride: 1,
                              padTop: kernel - 1 - padTop, padLeft: kernel - 1 - padLeft, outHeight: height, outWidth: width)
    }

    private init(height: Int, width: Int, channels: Int, kernel: Int, stride: Int,
                 padTop: Int, padLeft: Int, outHeight: Int, outWidth: Int) {
        (self.height, self.width, self.channels, self.kernel, self.stride) = (height, width, channels, kernel, stride)
        (self.padTop, self.padLeft, self.outHeight, self.outWidth) = (padTop, padLeft, outHeight, outWidth)
    }

    /// True when the windows cover the input exactly once: no padding, stride equal to the
    /// window, and sides that are multiples of it.
    var windowsTileInput: Bool {
        padTop == 0 && padLeft == 0 && stride == kernel && outHeight * kernel == height && outWidth * kernel == width
    }

    /// Elements of one input sample, `H·W·C`.
    var inputCount: Int { height * width * channels }
    /// Output pixels of one sample, `OH·OW`.
    var outputPixels: Int { outHeight * outWidth }
    /// Length of one im2col row, `k·k·C` (the kernel's fan-in).
    var patchCount: Int { kernel * kernel * channels }

    /// The input rows `lo..<hi` covered by output row `oh` (padding excluded).
    @inline(__always) func rows(_ oh: Int) -> (first: Int, lo: Int, hi: Int) {
        let first = oh * stride - padTop
        return (first, Swift.max(first, 0), Swift.min(first + kernel, height))
    }

    /// The input columns `lo..<hi` covered by output column `ow` (padding excluded).
    @inline(__always) func columns(_ ow: Int) -> (first: Int, lo: Int, hi: Int) {
        let first = ow * stride - padLeft
        return (first, Swift.max(first, 0), Swift.min(first + kernel, width))
    }
}

extension WindowGeometry {
    /// Visits every output pixel of `samples` consecutive samples in NHWC order: `body` gets the
    /// sample index, the in-bounds input rows and columns of the window, and the index of the
    /// output pixel (multiply by the channel count for its offset). The shared loop of the pooling layers.
    @inline(__always)
    func forEachWindow(samples: Int, _ body: (_ sample: Int, _ rows: Range<Int>, _ columns: Range<Int>, _ output: Int) -> Void) {
        var output = 0
        for sample in 0..<samples {
            for oh in 0..<outHeight {
                let r = rows(oh)
                for ow in 0..<outWidth {
                    let q = columns(ow)
                    body(sample, r.lo..<r.hi, q.lo..<q.hi, output)
                    output += 1
                }
            }
        }
    }
}
