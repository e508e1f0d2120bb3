import XCTest
@testable import Core

final class DropoutTests: XCTestCase {
    private func training(_ seed: UInt64, offset: Int = 0) -> ForwardMode {
        .training(random: KeyedRandom(seed: seed), sampleOffset: offset)
    }

    private func ones(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, values: [Float](repeating: 1, count: shape.reduce(1, *)))
    }

    /// The mask (0 or 1/(1 − rate) per element) the layer applies to a batch of ones.
    private func mask(_ layer: Dropout, batch: Int, mode: ForwardMode) -> [Float] {
        layer.forward(ones([batch] + layer.inputShape), mode: mode).array
    }

    /// Tolerance: relative error 1e-3 (linear in x for a fixed mask).
    func testGradientsInTrainingMode() {
        checkLayerGradients(Dropout(inputShape: [4, 3], rate: 0.3, keyIndex: 5), batch: 3,
                            mode: training(42), tolerance: 1e-3)
    }

    func testBackwardAppliesTheForwardMask() {
        let layer = Dropout(inputShape: [10], rate: 0.5, keyIndex: 1)
        let m = mask(layer, batch: 4, mode: training(3))
        let dy = GradientCheck.randomValues(40, seed: 8)
        let dx = layer.backward(Tensor(shape: [4, 10], values: dy)).array
        XCTAssertEqual(dx, zip(dy, m).map { $0 * $1 })
        XCTAssertEqual(Set(m), [0, 2], "kept elements are scaled by 1/(1 − 0.5)")
    }

    func testMasksDependOnlyOnKeyLayerSampleAndElement() {
        let a = mask(Dropout(inputShape: [64], rate: 0.5, keyIndex: 1), batch: 2, mode: training(7))
        let again = mask(Dropout(inputShape: [64], rate: 0.5, keyIndex: 1), batch: 2, mode: training(7))
        let otherRun = mask(Dropout(inputShape: [64], rate: 0.5, keyIndex: 1), batch: 2, mode: training(8))
        let otherLayer = mask(Dropout(inputShape: [64], rate: 0.5, keyIndex: 2), batch: 2, mode: training(7))
        XCTAssertEqual(a, again, "same key, same mask")
        XCTAssertNotEqual(a, otherRun, "different run key")
        XCTAssertNotEqual(a, otherLayer, "different layer")
        XCTAssertNotEqual(Array(a[0..<64]), Array(a[64..<128]), "different samples")
    }

    func testMaskOfASampleDoesNotDependOnSharding() {
        let layer = Dropout(inputShape: [3, 5], rate: 0.4, keyIndex: 9)
        let x = GradientCheck.randomValues(4 * 15, seed: 2)
        let whole = layer.forward(Tensor(shape: [4, 3, 5], values: x), mode: training(7, offset: 10)).array
        for k in 0..<4 {
            let alone = layer.forward(Tensor(shape: [1, 3, 5], values: Array(x[k * 15..<(k + 1) * 15])),
                                      mode: training(7, offset: 10 + k)).array
            XCTAssertEqual(alone, Array(whole[k * 15..<(k + 1) * 15]), "sample \(10 + k)")
        }
    }

    /// 100,000 elements at rate 0.3: kept fraction within 0.01 of 0.7.
    func testKeepFractionMatchesRate() {
        let m = mask(Dropout(inputShape: [1000], rate: 0.3, keyIndex: 4), batch: 100, mode: training(12))
        let kept = Double(m.filter { $0 != 0 }.count) / Double(m.count)
        XCTAssertEqual(kept, 0.7, accuracy: 0.01)
    }

    func testInferenceIsIdentity() {
        let layer = Dropout(inputShape: [6], rate: 0.5, keyIndex: 1)
        let x = GradientCheck.randomValues(18, seed: 3)
        XCTAssertEqual(layer.forward(Tensor(shape: [3, 6], values: x), mode: .inference).array, x)
        let dy = GradientCheck.randomValues(18, seed: 4)
        XCTAssertEqual(layer.backward(Tensor(shape: [3, 6], values: dy)).array, dy)
    }

    func testRateZeroIsIdentityInTraining() {
        let layer = Dropout(inputShape: [6], rate: 0, keyIndex: 1)
        let x = GradientCheck.randomValues(18, seed: 3)
        XCTAssertEqual(layer.forward(Tensor(shape: [3, 6], values: x), mode: training(1)).array, x)
        let dy = GradientCheck.randomValues(18, seed: 4)
        XCTAssertEqual(layer.backward(Tensor(shape: [3, 6], values: dy)).array, dy)
    }
}
