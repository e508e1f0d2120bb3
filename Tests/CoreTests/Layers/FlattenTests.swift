import XCTest
@testable import Core

final class FlattenTests: XCTestCase {
    func testForwardKeepsOrderAndBackwardRestoresShape() {
        let layer = Flatten(inputShape: [2, 3, 4])
        XCTAssertEqual(layer.outputShape, [24])
        let x = (0..<48).map(Float.init)
        let y = layer.forward(Tensor(shape: [2, 2, 3, 4], values: x), mode: .inference)
        XCTAssertEqual(y.shape, [2, 24])
        XCTAssertEqual(y.array, x)
        let dx = layer.backward(Tensor(shape: [2, 24], values: x.map { -$0 }))
        XCTAssertEqual(dx.shape, [2, 2, 3, 4])
        XCTAssertEqual(dx.array, x.map { -$0 })
    }

    /// Tolerance: relative error 1e-3.
    func testGradients() {
        checkLayerGradients(Flatten(inputShape: [3, 2, 4]), batch: 2, tolerance: 1e-3)
    }
}
