import XCTest
@testable import Core

final class BasicBlockTests: XCTestCase {
    func testIdentityShortcutGradients() {
        // Float forward through BatchNorm and two ReLUs. The numeric error is Float rounding of the
        // loss divided by h (it grows as 1/h below h = 3e-3, and the rounding depends on the CPU's
        // sgemm kernel) plus ReLU kinks crossed above it: h = 3e-3 sits between the two. Gradients
        // below 2e-2 are compared in absolute terms. Relative error ≤ 2e-2.
        let block = BasicBlock(inputShape: [4, 4, 3], filters: 3, stride: 1)
        XCTAssertEqual(block.outputShape, [4, 4, 3])
        XCTAssertFalse(block.parameterSpecs.contains { $0.name.hasPrefix("shortcut") })
        checkLayerGradients(block, batch: 3, h: 3e-3, tolerance: 2e-2, floor: 2e-2)
    }

    func testProjectionShortcutGradients() {
        let block = BasicBlock(inputShape: [5, 5, 2], filters: 4, stride: 2)
        XCTAssertEqual(block.outputShape, [3, 3, 4])
        XCTAssertTrue(block.parameterSpecs.contains { $0.name == "shortcut_conv.kernel" && $0.shape == [1, 1, 2, 4] })
        checkLayerGradients(block, batch: 3, h: 3e-3, tolerance: 2e-2, floor: 2e-2)
    }

    func testIdentityBlockAddsTheInput() {
        // With both BatchNorm gammas and betas at zero the residual branch vanishes: y = relu(x).
        let block = BasicBlock(inputShape: [3, 3, 2], filters: 2, stride: 1)
        let bound = BoundLayer(block)
        var offset = 0
        for spec in block.parameterSpecs {
            if spec.name.hasPrefix("bn") { for i in 0..<spec.count { bound.parameters[offset + i] = 0 } }
            offset += spec.count
        }
        let values = GradientCheck.randomValues(2 * 18, seed: 9)
        let y = block.forward(Tensor(shape: [2, 3, 3, 2], values: values), mode: .inference)
        assertClose(y.array, values.map { max($0, 0) }, rtol: 0, atol: 1e-6)
    }
}
