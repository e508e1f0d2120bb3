import XCTest
@testable import Core

final class ActivationTests: XCTestCase {
    /// Seed whose 48 test inputs all lie further than 2h from 0, where the rectifiers are smooth.
    private let smoothSeed: UInt64 = 25

    private func assertInputsAwayFromZero(count: Int, seed: UInt64, h: Float, file: StaticString = #filePath, line: UInt = #line) {
        let nearest = GradientCheck.randomValues(count, seed: seed).map(abs).min()!
        XCTAssertGreaterThan(nearest, 2 * h, "test inputs must stay away from the kink", file: file, line: line)
    }

    func testReLUForwardAndBackwardByHand() {
        let layer = ReLU(inputShape: [5])
        let y = layer.forward(Tensor(shape: [1, 5], values: [-2, -0.5, 0, 0.5, 3]), mode: .inference)
        XCTAssertEqual(y.array, [0, 0, 0, 0.5, 3])
        let dx = layer.backward(Tensor(shape: [1, 5], values: [1, 2, 3, 4, 5]))
        XCTAssertEqual(dx.array, [0, 0, 0, 4, 5], "subgradient 0 at exactly 0")
    }

    func testLeakyReLUForwardAndBackwardByHand() {
        let layer = LeakyReLU(inputShape: [5], alpha: 0.2)
        let y = layer.forward(Tensor(shape: [1, 5], values: [-2, -0.5, 0, 0.5, 3]), mode: .inference)
        assertClose(y.array, [-0.4, -0.1, 0, 0.5, 3], "y")
        let dx = layer.backward(Tensor(shape: [1, 5], values: [1, 2, 3, 4, 5]))
        assertClose(dx.array, [0.2, 0.4, 0.6, 4, 5], "dx")
    }

    /// Tolerance: relative error 1e-3 (piecewise linear, inputs away from 0).
    func testReLUGradients() {
        assertInputsAwayFromZero(count: 48, seed: smoothSeed, h: 1e-2)
        checkLayerGradients(ReLU(inputShape: [3, 4, 2]), batch: 2, seed: smoothSeed, tolerance: 1e-3)
    }

    /// Tolerance: relative error 1e-3 (piecewise linear, inputs away from 0).
    func testLeakyReLUGradients() {
        assertInputsAwayFromZero(count: 48, seed: smoothSeed, h: 1e-2)
        checkLayerGradients(LeakyReLU(inputShape: [3, 4, 2], alpha: 0.3), batch: 2, seed: smoothSeed, tolerance: 1e-3)
    }
}
