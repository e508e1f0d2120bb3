import XCTest
@testable import Core

/// The implicit-GEMM path of few-channel convolutions against the im2col product it replaces
/// (same bits) and the float64 reference (to rounding).
final class ImplicitConvolutionTests: XCTestCase {
    func testOutputHasTheBitsOfTheIm2colProduct() throws {
        guard BLAS.kernel == .distillAVX512 else {
            throw XCTSkip("this CPU does not run Distill's AVX-512 kernel (\(BLAS.kernelName)): the implicit path is not used here")
        }
        // (H, W, Cin, Cout, k, padding, samples): the first layers of the presets, ragged pixel
        // tiles and channel blocks, 5×5 and valid windows, one and four input channels.
        let cases: [(Int, Int, Int, Int, Int, Padding, Int)] = [
            (32, 32, 3, 64, 3, .same, 2), (32, 32, 3, 32, 3, .same, 1), (7, 5, 3, 40, 3, .same, 3),
            (9, 13, 1, 17, 5, .valid, 2), (6, 6, 2, 4, 3, .same, 1), (10, 9, 4, 33, 3, .valid, 2), (5, 16, 15, 3, 3, .same, 1),
        ]
        let random = KeyedRandom(seed: 17)
        for (index, (h, w, cin, cout, k, padding, samples)) in cases.enumerated() {
            let g = WindowGeometry(inputShape: [h, w, cin], kernel: k, stride: 1, padding: padding)
            XCTAssertTrue(ImplicitConvolution.applies(to: g))
            let x = (0..<(samples * g.inputCount)).map { random.child(UInt64(index)).normal(UInt64($0)) }
            let kernel = (0..<(g.patchCount * cout)).map { random.child(UInt64(100 + index)).normal(UInt64($0)) * 0.3 }
            let bias = (0..<cout).map { random.child(UInt64(200 + index)).normal(UInt64($0)) }
            for activation in [FusedActivation.identity, .relu, .leakyReLU(alpha: 0.1)] {
                for withBias in [true, false] {
                    let b = withBias ? bias : []
                    let rows = samples * g.outputPixels
                    var viaIm2col = [Float](repeating: 0, count: rows * cout), implicit = viaIm2col
                    var col = [Float](repeating: .nan, count: rows * g.patchCount)
                    let packed = PackedMatrix()
                    kernel.withUnsafeBufferPointer { kp in
                        packed.pack(kp.baseAddress!, transposed: false, k: g.patchCount, n: cout, ldb: cout)
                        x.withUnsafeBufferPointer { xp in
                            g.im2col(xp.baseAddress!, samples: samples, into: &col)
                            b.withUnsafeBufferPointer { bp in
                                BLAS.gemm(m: rows, a: col, lda: g.patchCount, packedB: packed, bias: withBias ? bp.baseAddress : nil,
                                          activation: activation, c: &viaIm2col)
                                XCTAssertTrue(ImplicitConvolution(geometry: g, filters: cout).forward(
                                    xp.baseAddress!, samples: samples, kernel: kp.baseAddress!, bias: withBias ? bp.baseAddress : nil,
                                    activation: activation, into: &implicit))
                            }
                        }
                    }
                    let label = "case \(index) \(activation) bias \(withBias)"
                    XCTAssertEqual(implicit.map(\.bitPattern), viaIm2col.map(\.bitPattern), label)
                    if activation == .identity {
                        let reference = ConvolutionReference.forward(x: x, batch: samples, geometry: g, kernel: kernel, bias: b, filters: cout)
                        for (a, r) in zip(implicit, reference) { XCTAssertEqual(a, r, accuracy: 1e-4 * max(1, abs(r)), label) }
                    }
                }
            }
        }
    }

    func testConv2DTakesThePathForItsFirstLayerOnly() {
        let first = WindowGeometry(inputShape: [32, 32, 3], kernel: 3, stride: 1, padding: .same)
        XCTAssertEqual(ImplicitConvolution.applies(to: first), BLAS.kernel == .distillAVX512)
        XCTAssertFalse(ImplicitConvolution.applies(to: WindowGeometry(inputShape: [32, 32, 3], kernel: 3, stride: 2, padding: .same)))
        XCTAssertFalse(ImplicitConvolution.applies(to: WindowGeometry(inputShape: [32, 32, 16], kernel: 3, stride: 1, padding: .same)))
        XCTAssertFalse(ImplicitConvolution.applies(to: WindowGeometry(inputShape: [32, 32, 3], kernel: 1, stride: 1, padding: .same)))
        XCTAssertFalse(ImplicitConvolution.applies(to: WindowGeometry(inputShape: [32, 32, 8], kernel: 7, stride: 1, padding: .same)),
                       "392 taps: more than one k slice")
    }
}
