import XCTest
@testable import Core

/// The Winograd F(4×4, 3×3) forward of `Conv2D` against the float64 direct convolution: same and
/// valid padding, odd and even sizes (partial output tiles), bias and the fused activations,
/// chunks of whole samples, and the layer's gradients (im2col backward) against the reference.
final class Winograd3x3Tests: XCTestCase {
    private func values(_ count: Int, seed: UInt64) -> [Float] {
        let random = KeyedRandom(seed: seed)
        return (0..<count).map { random.uniform(UInt64($0)) * 2 - 1 }
    }

    /// Largest |difference| relative to the largest |reference| value.
    private func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        let scale = b.map { abs($0) }.max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max()! / Swift.max(scale, 1e-30)
    }

    func testMatchesDirectConvolution() {
        for (height, width, cin, cout, padding, batch) in [(8, 8, 16, 32, Padding.same, 2), (7, 5, 17, 9, .same, 3),
                                                             (9, 6, 16, 33, .valid, 2), (4, 4, 64, 64, .same, 1),
                                                             (3, 3, 16, 8, .valid, 2), (6, 7, 70, 5, .same, 2),
                                                             (12, 12, 130, 67, .same, 1)] {
            let g = WindowGeometry(inputShape: [height, width, cin], kernel: 3, stride: 1, padding: padding)
            XCTAssertTrue(Winograd3x3.applies(to: g))
            let x = values(batch * g.inputCount, seed: 1), kernel = values(9 * cin * cout, seed: 2), bias = values(cout, seed: 3)
            let expected = ConvolutionReference.forward(x: x, batch: batch, geometry: g, kernel: kernel, bias: bias, filters: cout)
            var y = [Float](repeating: .nan, count: expected.count)
            let winograd = Winograd3x3(geometry: g, filters: cout)
            x.withUnsafeBufferPointer { x in kernel.withUnsafeBufferPointer { k in bias.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { y in
                    winograd.forward(x.baseAddress!, samples: batch, kernel: k.baseAddress!, bias: b.baseAddress!,
                                     activation: .identity, into: y.baseAddress!)
                }
            } } }
            XCTAssertLessThan(relativeError(y, expected), 1e-5, "\(height)×\(width)×\(cin) → \(cout), \(padding)")
        }
    }

    func testConvLayerForwardAndGradientsMatchReference() {
        // 24 output channels: the input gradient runs Winograd too; 12: it stays col2im.
        for (shape, cout, padding) in [([10, 10, 16], 24, Padding.same), ([9, 7, 16], 20, .valid), ([6, 5, 16], 12, .same)] {
            let layer = Conv2D(inputShape: shape, filters: cout, kernelSize: 3, padding: padding)
            let bound = BoundLayer(layer, seed: 5)
            let taps = 9 * shape[2] * cout
            let kernel = Array(bound.parameters[0..<taps]), bias = Array(bound.parameters[taps..<(taps + cout)])
            let g = WindowGeometry(inputShape: shape, kernel: 3, stride: 1, padding: padding)
            let x = Tensor(shape: [3] + shape, values: values(3 * g.inputCount, seed: 6))
            let expected = ConvolutionReference.forward(x: x.array, batch: 3, geometry: g, kernel: kernel, bias: bias, filters: cout)
            let training = layer.forward(x, mode: .training(random: KeyedRandom(seed: 1), sampleOffset: 0)).array
            XCTAssertLessThan(relativeError(training, expected), 1e-5, "\(shape) → \(cout)")
            let dy = values(3 * g.outputPixels * cout, seed: 9)
            let reference = ConvolutionReference.backward(x: x.array, batch: 3, geometry: g, kernel: kernel, dy: dy, filters: cout)
            let dx = layer.backward(Tensor(shape: [3, g.outHeight, g.outWidth, cout], values: dy)).array
            XCTAssertLessThan(relativeError(dx, reference.dx), 1e-5, "\(shape) → \(cout)")
            XCTAssertLessThan(relativeError(Array(bound.gradients[0..<taps]), reference.dKernel), 1e-5, "\(shape) → \(cout)")
            XCTAssertEqual(layer.forward(x, mode: .inference).array, training, "inference and training share the forward")
            for activation in [FusedActivation.relu, .leakyReLU(alpha: 0.1)] {
                layer.fusedActivation = activation
                let fused = layer.forward(x, mode: .inference).array
                let slope = activation.negativeSlope
                XCTAssertLessThan(relativeError(fused, expected.map { $0 > 0 ? $0 : slope * $0 }), 1e-5, "\(activation)")
            }
        }
    }

    func testChunksOfWholeSamplesGiveTheSameBitsAsOneSample() {
        // 16×16×16 → 16 puts several samples in a chunk; each sample alone must give the same bits.
        let g = WindowGeometry(inputShape: [16, 16, 16], kernel: 3, stride: 1, padding: .same)
        let batch = 5, x = values(batch * g.inputCount, seed: 7), kernel = values(9 * 16 * 16, seed: 8)
        let winograd = Winograd3x3(geometry: g, filters: 16)
        func run(_ input: ArraySlice<Float>, samples: Int) -> [Float] {
            var y = [Float](repeating: 0, count: samples * g.outputPixels * 16)
            Array(input).withUnsafeBufferPointer { x in kernel.withUnsafeBufferPointer { k in y.withUnsafeMutableBufferPointer { y in
                winograd.forward(x.baseAddress!, samples: samples, kernel: k.baseAddress!, bias: nil, activation: .identity, into: y.baseAddress!)
            } } }
            return y
        }
        let whole = run(x[...], samples: batch)
        let one = (0..<batch).flatMap { run(x[($0 * g.inputCount)..<(($0 + 1) * g.inputCount)], samples: 1) }
        XCTAssertEqual(whole.map(\.bitPattern), one.map(\.bitPattern))
    }

    func testFewChannelsAndOtherWindowsKeepIm2col() {
        XCTAssertFalse(Winograd3x3.applies(to: WindowGeometry(inputShape: [32, 32, 3], kernel: 3, stride: 1, padding: .same)))
        XCTAssertFalse(Winograd3x3.applies(to: WindowGeometry(inputShape: [32, 32, 64], kernel: 3, stride: 2, padding: .same)))
        XCTAssertFalse(Winograd3x3.applies(to: WindowGeometry(inputShape: [32, 32, 64], kernel: 5, stride: 1, padding: .same)))
    }
}
