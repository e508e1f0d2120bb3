import CGEMM

/// The forward of a stride-1 convolution with few input channels (the 3-channel first layer) as
/// an implicit GEMM on Distill's kernel (`distill_conv_implicit`): each output pixel's patch is
/// read in place from a zero-padded copy of its image instead of from an im2col row.
///
/// Its k·k·Cin-deep products are too shallow to hide im2col's cost: the first layers ran at
/// 0.27–0.40 of the one-thread peak through im2col (BENCHMARKS.md). The taps are summed in
/// im2col's column order as one FMA chain, so the output has the bits of the im2col product
/// through the same kernel (`ImplicitConvolutionTests`), and a run gives the same bits either way.
struct ImplicitConvolution {
    private let geometry: WindowGeometry
    private let filters: Int
    /// One zero-padded image, `[H' + k − 1, W' + k − 1, Cin]`.
    private let padded: Tensor

    /// Whether `geometry` can take this path: Distill's kernel runs on this CPU, stride 1, a
    /// window larger than 1×1 (a 1×1 convolution needs no im2col), fewer than 16 input channels
    /// (wider layers have enough depth for im2col or Winograd), and k·k·Cin taps within one k
    /// slice of the GEMM (256).
    static func applies(to geometry: WindowGeometry) -> Bool {
        BLAS.kernel == .distillAVX512 && geometry.stride == 1 && geometry.kernel > 1 && geometry.channels < 16
            && geometry.patchCount <= 256
    }

    init(geometry: WindowGeometry, filters: Int) {
        self.geometry = geometry
        self.filters = filters
        padded = Tensor(shape: [geometry.outHeight + geometry.kernel - 1, geometry.outWidth + geometry.kernel - 1, geometry.channels])
    }

    /// `y [samples, H', W', Cout] = act(conv(x [samples, H, W, Cin], kernel [k·k·Cin, Cout]) + bias)`.
    /// Returns false (y unchanged) only when the kernel is unavailable, which ``applies(to:)`` excludes.
    func forward(_ x: UnsafePointer<Float>, samples: Int, kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 activation: FusedActivation, into y: UnsafeMutablePointer<Float>) -> Bool {
        let g = geometry
        return distill_conv_implicit(samples, g.height, g.width, g.channels, g.kernel, g.padTop, g.padLeft, g.outHeight, g.outWidth,
                                     x, kernel, filters, bias, activation.negativeSlope, padded.pointer, y) == 0
    }
}
