import CGEMM
import XCTest
@testable import Core

/// The direct convolution for few input channels (`CGEMM`'s conv_small.c) gives the very bits of
/// the path it replaces, im2col followed by Distill's sgemm: the forward with bias and fused
/// activation, and the kernel gradient summed in the backward's chunks and 256-row slices.
/// Shapes cover filter counts around the 16-float vectors, 1–4 channels, strides, both paddings,
/// tails of pixel blocks and slices, and slices that span samples.
final class Conv2DSmallChannelTests: XCTestCase {
    struct Shape: CustomStringConvertible {
        var height: Int, width: Int, channels: Int, filters: Int, kernel = 3, stride = 1, padding = Padding.same, batch = 3
        var description: String { "\(height)x\(width)x\(channels)->\(filters) k\(kernel) s\(stride) \(padding) batch \(batch)" }
        var geometry: WindowGeometry {
            WindowGeometry(inputShape: [height, width, channels], kernel: kernel, stride: stride, padding: padding)
        }
        var c: distill_conv_geometry {
            let g = geometry
            return distill_conv_geometry(height: g.height, width: g.width, channels: g.channels, kernel: g.kernel, stride: g.stride,
                                         pad_top: g.padTop, pad_left: g.padLeft, out_height: g.outHeight, out_width: g.outWidth)
        }
    }

    static let shapes: [Shape] = [
        Shape(height: 32, width: 32, channels: 3, filters: 32, batch: 2),
        Shape(height: 32, width: 32, channels: 3, filters: 64, batch: 2),
        Shape(height: 7, width: 5, channels: 3, filters: 17),
        Shape(height: 7, width: 5, channels: 1, filters: 8, stride: 2, batch: 9),
        Shape(height: 9, width: 30, channels: 4, filters: 48, kernel: 5, padding: .valid),
        Shape(height: 11, width: 13, channels: 2, filters: 1, stride: 2, padding: .valid, batch: 4),
        Shape(height: 6, width: 27, channels: 3, filters: 16, batch: 5),
        Shape(height: 28, width: 28, channels: 1, filters: 33, kernel: 5, batch: 3),
    ]

    private func requireDistillKernel() throws {
        guard BLAS.kernel == .distillAVX512 else {
            throw XCTSkip("this CPU does not run AVX-512F (or DISTILL_GEMM=openblas): the kernel is \(BLAS.kernelName)")
        }
    }

    private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// im2col rows of `samples` samples of `x`.
    private func columns(_ shape: Shape, _ x: UnsafePointer<Float>, samples: Int) -> [Float] {
        let g = shape.geometry
        var col = [Float](repeating: .nan, count: samples * g.outputPixels * g.patchCount)
        col.withUnsafeMutableBufferPointer { g.im2col(x, samples: samples, into: $0.baseAddress!) }
        return col
    }

    func testForwardHasTheBitsOfIm2colAndTheGEMM() throws {
        try requireDistillKernel()
        for (i, shape) in Self.shapes.enumerated() {
            let g = shape.geometry
            let x = GradientCheck.randomValues(shape.batch * g.inputCount, seed: UInt64(10 + i))
            let w = GradientCheck.randomValues(g.patchCount * shape.filters, seed: UInt64(20 + i))
            let bias = GradientCheck.randomValues(shape.filters, seed: UInt64(30 + i))
            let outputs = shape.batch * g.outputPixels * shape.filters
            for (useBias, activation) in [(true, FusedActivation.identity), (false, .identity), (true, .relu), (true, .leakyReLU(alpha: 0.1))] {
                let label = "\(shape) bias \(useBias) \(activation)"
                let packed = PackedMatrix()
                var expected = [Float](repeating: .nan, count: outputs)
                let col = columns(shape, x, samples: shape.batch)
                w.withUnsafeBufferPointer { packed.pack($0.baseAddress!, transposed: false, k: g.patchCount, n: shape.filters, ldb: shape.filters) }
                bias.withUnsafeBufferPointer { b in
                    BLAS.gemm(m: shape.batch * g.outputPixels, a: col, lda: g.patchCount, packedB: packed,
                              bias: useBias ? b.baseAddress : nil, activation: activation, c: &expected)
                }
                var direct = [Float](repeating: .nan, count: outputs)
                var geometry = shape.c
                var scratch = [Float](repeating: .nan, count: distill_conv_small_scratch(&geometry, 1))
                let status = bias.withUnsafeBufferPointer { b in
                    distill_conv_small_forward(&geometry, x, shape.batch, w, shape.filters, useBias ? b.baseAddress : nil,
                                               activation.negativeSlope, &direct, &scratch)
                }
                XCTAssertEqual(status, 0, label)
                XCTAssertEqual(bits(direct), bits(expected), label)
            }
        }
    }

    func testKernelGradientHasTheBitsOfTheChunkedIm2colGEMM() throws {
        try requireDistillKernel()
        for (i, shape) in Self.shapes.enumerated() {
            let g = shape.geometry, pixels = g.outputPixels
            let x = GradientCheck.randomValues(shape.batch * g.inputCount, seed: UInt64(40 + i))
            let dy = GradientCheck.randomValues(shape.batch * pixels * shape.filters, seed: UInt64(50 + i))
            // dw accumulates: start from values already there.
            let start = GradientCheck.randomValues(g.patchCount * shape.filters, seed: UInt64(60 + i))
            for chunk in Set([1, 2, shape.batch]) {
                let label = "\(shape) chunks of \(chunk)"
                var expected = start
                for first in stride(from: 0, to: shape.batch, by: chunk) {
                    let samples = min(chunk, shape.batch - first)
                    let col = x.withUnsafeBufferPointer { columns(shape, $0.baseAddress! + first * g.inputCount, samples: samples) }
                    dy.withUnsafeBufferPointer { d in
                        BLAS.gemm(transposeA: true, m: g.patchCount, n: shape.filters, k: samples * pixels, a: col, lda: g.patchCount,
                                  b: d.baseAddress! + first * pixels * shape.filters, ldb: shape.filters, beta: 1,
                                  c: &expected, ldc: shape.filters)
                    }
                }
                var direct = start
                var geometry = shape.c
                var scratch = [Float](repeating: .nan, count: distill_conv_small_scratch(&geometry, chunk))
                XCTAssertEqual(distill_conv_small_kernel_gradient(&geometry, x, shape.batch, chunk, dy, shape.filters, &direct, &scratch), 0, label)
                XCTAssertEqual(bits(direct), bits(expected), label)
            }
        }
    }

    func testTheLayerTakesTheDirectKernelWithTheOldBits() throws {
        try requireDistillKernel()
        // A first layer (no input gradient) of 3 channels, and one whose 5×5 window is too deep for the kernel.
        let first = Conv2D(inputShape: [12, 10, 3], filters: 24, kernelSize: 3)
        first.computesInputGradient = false
        XCTAssertTrue(first.usesSmallChannelKernel)
        XCTAssertFalse(Conv2D(inputShape: [12, 10, 16], filters: 24, kernelSize: 3).usesSmallChannelKernel, "16 channels: Winograd")
        XCTAssertFalse(Conv2D(inputShape: [12, 10, 3], filters: 65, kernelSize: 3).usesSmallChannelKernel, "more than 64 filters")
        XCTAssertFalse(Conv2D(inputShape: [12, 10, 3], filters: 8, kernelSize: 1).usesSmallChannelKernel, "a 1×1 product")
        let bound = BoundLayer(first, seed: 5)
        let shape = Shape(height: 12, width: 10, channels: 3, filters: 24, batch: 5)
        let g = shape.geometry
        let x = Tensor(shape: [5, 12, 10, 3], values: GradientCheck.randomValues(5 * g.inputCount, seed: 6))
        let kernelCount = g.patchCount * 24
        let w = Array(bound.parameters[0..<kernelCount]), bias = Array(bound.parameters[kernelCount..<kernelCount + 24])
        let y = first.forward(x, mode: .training(random: KeyedRandom(seed: 1), sampleOffset: 0)).array
        var expected = [Float](repeating: .nan, count: y.count)
        let col = columns(shape, x.pointer, samples: 5)
        let packed = PackedMatrix()
        w.withUnsafeBufferPointer { packed.pack($0.baseAddress!, transposed: false, k: g.patchCount, n: 24, ldb: 24) }
        bias.withUnsafeBufferPointer { BLAS.gemm(m: 5 * g.outputPixels, a: col, lda: g.patchCount, packedB: packed, bias: $0.baseAddress, c: &expected) }
        XCTAssertEqual(bits(y), bits(expected))
        let dy = Tensor(shape: [5] + first.outputShape, values: GradientCheck.randomValues(y.count, seed: 7))
        let dx = first.backward(dy)
        XCTAssertEqual(dx.array, [Float](repeating: 0, count: x.count), "a first layer returns no input gradient")
        var dKernel = [Float](repeating: 0, count: kernelCount)
        let chunk = max(1, Conv2D.columnBudget / (g.outputPixels * g.patchCount))
        for start in stride(from: 0, to: 5, by: chunk) {
            let samples = min(chunk, 5 - start)
            let chunkColumns = columns(shape, x.pointer + start * g.inputCount, samples: samples)
            BLAS.gemm(transposeA: true, m: g.patchCount, n: 24, k: samples * g.outputPixels, a: chunkColumns, lda: g.patchCount,
                      b: dy.pointer + start * g.outputPixels * 24, ldb: 24, beta: 1, c: &dKernel, ldc: 24)
        }
        XCTAssertEqual(bits(Array(bound.gradients[0..<kernelCount])), bits(dKernel))
    }

    func testShapesBeyondTheKernelAreRefused() throws {
        try requireDistillKernel()
        var tooDeep = Shape(height: 12, width: 12, channels: 4, filters: 8, kernel: 9).c  // 324 taps
        var tooWide = Shape(height: 8, width: 8, channels: 3, filters: 65).c
        var scratch = [Float](repeating: 0, count: 4096)
        var y = [Float](repeating: 7, count: 12 * 12 * 65)
        let x = [Float](repeating: 1, count: 12 * 12 * 4), w = [Float](repeating: 1, count: 324 * 65)
        XCTAssertEqual(distill_conv_small_forward(&tooDeep, x, 1, w, 8, nil, 1, &y, &scratch), -1)
        XCTAssertEqual(distill_conv_small_forward(&tooWide, x, 1, w, 65, nil, 1, &y, &scratch), -1)
        var dw = [Float](repeating: 7, count: 27 * 65)
        XCTAssertEqual(distill_conv_small_kernel_gradient(&tooWide, x, 1, 1, y, 65, &dw, &scratch), -1)
        XCTAssertEqual(y, [Float](repeating: 7, count: 12 * 12 * 65), "nothing written")
        XCTAssertEqual(dw, [Float](repeating: 7, count: 27 * 65), "nothing written")
    }
}
