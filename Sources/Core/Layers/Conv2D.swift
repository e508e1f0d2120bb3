import CGEMM

/// A 2-D convolution over NHWC tensors with an HWIO kernel, TensorFlow padding and an optional bias.
///
/// Forward is im2col + one `BLAS.gemm` per chunk of samples (`col [rows, k·k·Cin] × kernel
/// [k·k·Cin, Cout]`, whose output rows are already NHWC); a 1×1 stride-1 convolution multiplies
/// the input directly. Chunks keep the im2col workspace near ``columnBudget`` floats whatever
/// the batch size. Training-mode forward keeps only a reference to its input: backward
/// recomputes im2col chunk by chunk, which is cheaper than the gemms it feeds and keeps memory
/// bounded. The input tensor must therefore stay unchanged between `forward` and `backward`.
/// The forward of a 3×3 stride-1 convolution with at least 16 input channels runs
/// ``Winograd3x3`` instead (4× fewer multiplies), and so does its input gradient when `Cout` is
/// at least 16 too (the forward of `dy` with the flipped kernel); the kernel gradient stays im2col.
/// A convolution over at most 4 input channels (an image's first layer) runs a direct kernel
/// instead where Distill's sgemm runs (``usesSmallChannelKernel``): its forward, and its kernel
/// gradient when it computes no input gradient, with the same bits as im2col and the GEMM.
public final class Conv2D: Layer {
    public let inputShape: [Int]
    public let outputShape: [Int]
    /// Number of output channels, `Cout`.
    public let filters: Int
    /// Side of the square kernel.
    public let kernelSize: Int
    /// Step between windows, in input pixels, along both axes.
    public let stride: Int
    /// Border treatment (TensorFlow semantics).
    public let padding: Padding
    /// Whether a `bias` of shape `[Cout]` is added.
    public let useBias: Bool
    /// How the kernel and bias are initialised (fan-in `k·k·Cin`, fan-out `k·k·Cout`).
    public let weightInit: WeightInit
    /// When false (the network's first layer), `backward` skips the input gradient and returns zeros.
    public var computesInputGradient: Bool = true
    /// Inference only (a folded teacher, ``Network/foldedForInference()``): when set, forward
    /// applies this activation where it adds the bias (as the GEMM or Winograd stores the output).
    public var fusedActivation: FusedActivation?

    /// Target size of the im2col workspace in floats (256 KiB, a quarter of one core's L2; budgets
    /// from 128 KiB to 1 MiB measured within a few percent on every benchmark shape, larger ones slower).
    static let columnBudget = 1 << 16

    private let geometry: WindowGeometry
    /// The forward path of 3×3 stride-1 convolutions with enough channels (nil for other shapes).
    private let winograd: Winograd3x3?
    /// The input gradient of the same convolutions, when `Cout` is enough channels too: the
    /// forward of `dy` with ``flippedKernel`` (nil for other shapes: col2im).
    private let inputGradientWinograd: Winograd3x3?
    /// `[k, k, Cout, Cin]`: the kernel rotated by 180° with its channel axes swapped.
    private let flippedKernel = Tensor(shape: [0])
    /// `[k·k·Cin]`, the shape of one im2col row.
    private let patchShape: [Int]
    private var kernel: ParameterView?
    private var bias: ParameterView?
    /// Whether the shape suits `CGEMM`'s direct kernel for few input channels (see ``usesSmallChannelKernel``).
    private let smallChannelShape: Bool
    /// The window as that kernel takes it.
    private var smallChannelGeometry: distill_conv_geometry
    /// The kernel `[k·k·Cin, Cout]` packed for the im2col and 1×1 products, at each forward.
    private let packedKernel = PackedMatrix()
    private let y = Tensor(shape: [0])
    private let dx = Tensor(shape: [0])
    private let col = Tensor(shape: [0])
    /// The zero-padded samples the direct kernel reads.
    private let padded = Tensor(shape: [0])
    private var savedInput: Tensor?

    /// A convolution for per-sample inputs `inputShape = [H, W, Cin]` with `filters` output
    /// channels and a `kernelSize × kernelSize` window. Output shape `[H', W', filters]` with
    /// `H' = padding.outputSize(input: H, kernel: kernelSize, stride: stride)`.
    public init(inputShape: [Int], filters: Int, kernelSize: Int, stride: Int = 1,
                padding: Padding = .same, useBias: Bool = true, weightInit: WeightInit = .standard) {
        precondition(filters >= 1, "Conv2D needs at least one filter")
        geometry = WindowGeometry(inputShape: inputShape, kernel: kernelSize, stride: stride, padding: padding)
        self.inputShape = inputShape
        self.outputShape = [geometry.outHeight, geometry.outWidth, filters]
        patchShape = [geometry.patchCount]
        winograd = Winograd3x3.applies(to: geometry) ? Winograd3x3(geometry: geometry, filters: filters) : nil
        let inputChannels = geometry.channels
        inputGradientWinograd = geometry.inputGradient(filters: filters).flatMap { transposed in
            Winograd3x3.applies(to: transposed) ? Winograd3x3(geometry: transposed, filters: inputChannels) : nil
        }
        self.filters = filters
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.useBias = useBias
        self.weightInit = weightInit
        smallChannelShape = inputChannels <= Conv2D.smallChannelLimit && !(kernelSize == 1 && stride == 1) && winograd == nil
            && geometry.patchCount <= 256 && filters <= 64
        smallChannelGeometry = distill_conv_geometry(height: geometry.height, width: geometry.width, channels: geometry.channels,
                                                     kernel: geometry.kernel, stride: geometry.stride, pad_top: geometry.padTop,
                                                     pad_left: geometry.padLeft, out_height: geometry.outHeight, out_width: geometry.outWidth)
    }

    /// Floats of ``padded``: the kernel gradient's chunk of samples, so forward and backward
    /// share one size and the workspace is never reshaped (an allocation) from one to the other.
    private var smallChannelScratch: Int { distill_conv_small_scratch(&smallChannelGeometry, chunkSamples) }

    /// Input channels up to which the direct kernel runs: a 3×3 window over them is a 36-deep
    /// product at most, which the GEMM's 14×32 micro-kernel runs at a fraction of its rate.
    static let smallChannelLimit = 4

    /// True when forward (and, for a first layer, backward) runs `CGEMM`'s direct kernel for
    /// few input channels: at most ``smallChannelLimit`` of them, at most 64 filters, a window
    /// of at most 256 taps, not a 1×1 stride-1 product, and Distill's sgemm in use (the kernel's
    /// bits are those of its im2col product; OpenBLAS rounds differently).
    var usesSmallChannelKernel: Bool { smallChannelShape && BLAS.kernel == .distillAVX512 }

    /// `kernel [k, k, Cin, Cout]` and, with `useBias`, `bias [Cout]`, initialised by ``weightInit``.
    public var parameterSpecs: [ParameterSpec] {
        let k = kernelSize, cin = geometry.channels
        var specs = [ParameterSpec(name: "kernel", shape: [k, k, cin, filters],
                                   initializer: weightInit.kernel(fanIn: k * k * cin, fanOut: k * k * filters))]
        if useBias { specs.append(ParameterSpec(name: "bias", shape: [filters], initializer: weightInit.bias(fanIn: k * k * cin))) }
        return specs
    }

    public func bind(parameters: [ParameterView], state: [ParameterView]) {
        precondition(parameters.count == (useBias ? 2 : 1), "Conv2D binds kernel\(useBias ? " and bias" : ""), got \(parameters.count) views")
        kernel = parameters[0]
        bias = useBias ? parameters[1] : nil
    }

    /// True when the convolution is a plain per-pixel matrix product (no im2col needed).
    private var isPointwise: Bool { kernelSize == 1 && stride == 1 }

    /// Samples per im2col chunk.
    private var chunkSamples: Int {
        Swift.max(1, Conv2D.columnBudget / (geometry.outputPixels * geometry.patchCount))
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        // x: [N, H, W, Cin] -> y: [N, H', W', Cout]
        guard let kernel else { preconditionFailure("Conv2D.forward before bind") }
        precondition(Array(x.shape.dropFirst()) == inputShape, "Conv2D expects [N] + \(inputShape), got \(x.shape)")
        let n = x.batch, g = geometry, pixels = g.outputPixels, cout = filters
        y.resize(batch: n, item: outputShape)
        savedInput = mode.isTraining ? x : nil
        precondition(fusedActivation == nil || !mode.isTraining, "Conv2D with a fused activation is inference-only")
        if let winograd {
            winograd.forward(x.pointer, samples: n, kernel: kernel.value, bias: bias.map { UnsafePointer($0.value) },
                             activation: fusedActivation ?? .identity, into: y.pointer)
            return y
        }
        if usesSmallChannelKernel {
            padded.resize(batch: smallChannelScratch, item: [])
            if distill_conv_small_forward(&smallChannelGeometry, x.pointer, n, kernel.value, cout, bias.map { UnsafePointer($0.value) },
                                          (fusedActivation ?? .identity).negativeSlope, y.pointer, padded.pointer) == 0 {
                return y
            }
        }
        packedKernel.pack(kernel.value, transposed: false, k: g.patchCount, n: cout, ldb: cout)
        if isPointwise {
            product(x.pointer, rows: n * pixels, k: g.channels, into: y.pointer)
            return y
        }
        let kk = g.patchCount, chunk = chunkSamples
        col.resize(batch: Swift.min(chunk, n) * pixels, item: patchShape)
        for start in Swift.stride(from: 0, to: n, by: chunk) {
            let samples = Swift.min(chunk, n - start)
            g.im2col(x.pointer + start * g.inputCount, samples: samples, into: col.pointer)
            product(col.pointer, rows: samples * pixels, k: kk, into: y.pointer + start * pixels * cout)
        }
        return y
    }

    /// `out [rows, Cout] = act(a [rows, k] · kernel [k, Cout] + bias)` with the packed kernel; the
    /// activation is the fused one of a folded layer, else the identity.
    private func product(_ a: UnsafePointer<Float>, rows: Int, k: Int, into out: UnsafeMutablePointer<Float>) {
        BLAS.gemm(m: rows, a: a, lda: k, packedB: packedKernel, bias: bias.map { UnsafePointer($0.value) },
                  activation: fusedActivation ?? .identity, c: out)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dy: [N, H', W', Cout] -> dx: [N, H, W, Cin]; dKernel [k·k·Cin, Cout] = colᵀ·dy, dBias = Σ dy,
        // each summed chunk by chunk into the cleared gradient (written, not accumulated: Layer).
        guard let x = savedInput else { preconditionFailure("Conv2D.backward without a training-mode forward") }
        guard let kernel, let dKernel = kernel.gradient else { preconditionFailure("Conv2D.backward on a frozen layer") }
        precondition(dy.shape == [x.batch] + outputShape, "Conv2D dy shape \(dy.shape), expected [\(x.batch)] + \(outputShape)")
        let n = x.batch, g = geometry, pixels = g.outputPixels, cout = filters, cin = g.channels
        dKernel.update(repeating: 0, count: kernel.count)
        if let dBias = bias?.gradient {
            dBias.update(repeating: 0, count: cout)
            for r in 0..<n * pixels {
                let row = dy.pointer + r * cout
                for c in 0..<cout { dBias[c] += row[c] }
            }
        }
        dx.resize(to: x.shape)
        if isPointwise {
            BLAS.gemm(transposeA: true, m: cin, n: cout, k: n * pixels, a: x.pointer, lda: cin,
                      b: dy.pointer, ldb: cout, beta: 1, c: dKernel, ldc: cout)
            if computesInputGradient {
                BLAS.gemm(transposeB: true, m: n * pixels, n: cin, k: cout, a: dy.pointer, lda: cout,
                          b: kernel.value, ldb: cout, c: dx.pointer, ldc: cin)
            } else {
                dx.zero()
            }
            return dx
        }
        if !computesInputGradient && usesSmallChannelKernel {
            padded.resize(batch: smallChannelScratch, item: [])
            if distill_conv_small_kernel_gradient(&smallChannelGeometry, x.pointer, n, chunkSamples, dy.pointer, cout,
                                                  dKernel, padded.pointer) == 0 {
                dx.zero()
                return dx
            }
        }
        let viaWinograd = computesInputGradient ? inputGradientWinograd : nil
        if let viaWinograd {
            flipKernel(kernel.value)
            viaWinograd.forward(dy.pointer, samples: n, kernel: flippedKernel.pointer, bias: nil, activation: .identity, into: dx.pointer)
        } else {
            dx.zero()
        }
        let kk = g.patchCount, chunk = chunkSamples
        col.resize(batch: Swift.min(chunk, n) * pixels, item: patchShape)
        for start in Swift.stride(from: 0, to: n, by: chunk) {
            let samples = Swift.min(chunk, n - start), rows = samples * pixels
            let dyChunk = dy.pointer + start * pixels * cout
            g.im2col(x.pointer + start * g.inputCount, samples: samples, into: col.pointer)
            BLAS.gemm(transposeA: true, m: kk, n: cout, k: rows, a: col.pointer, lda: kk,
                      b: dyChunk, ldb: cout, beta: 1, c: dKernel, ldc: cout)
            if computesInputGradient && viaWinograd == nil {
                BLAS.gemm(transposeB: true, m: rows, n: kk, k: cout, a: dyChunk, lda: cout,
                          b: kernel.value, ldb: cout, c: col.pointer, ldc: kk)
                g.col2im(col.pointer, samples: samples, addingInto: dx.pointer + start * g.inputCount)
            }
        }
        return dx
    }

    /// ``flippedKernel``: tap `(r, c)` of `[k, k, Cout, Cin]` is tap `(k−1−r, k−1−c)` of the
    /// kernel, transposed (the kernel of the convolution giving the input gradient).
    private func flipKernel(_ w: UnsafePointer<Float>) {
        let taps = kernelSize * kernelSize, cin = geometry.channels, cout = filters
        flippedKernel.resize(batch: taps * cin * cout, item: [])
        let flipped = flippedKernel.pointer
        for tap in 0..<taps {
            let source = w + (taps - 1 - tap) * cin * cout, destination = flipped + tap * cout * cin
            for ci in 0..<cin {
                for co in 0..<cout { destination[co * cin + ci] = source[ci * cout + co] }
            }
        }
    }
}
