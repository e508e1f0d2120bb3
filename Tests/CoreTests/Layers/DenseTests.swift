import XCTest
@testable import Core

final class DenseTests: XCTestCase {
    /// x [2, 3] · W [3, 2] + b [2], worked by hand.
    func testForwardAndBackwardMatchHandComputedExample() {
        let layer = Dense(inputFeatures: 3, units: 2)
        let bound = BoundLayer(layer)
        let values: [Float] = [1, 2, 3, 4, 5, 6, 0.5, -1]  // kernel rows [1,2] [3,4] [5,6], bias [0.5, -1]
        for i in 0..<values.count { bound.parameters[i] = values[i] }
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])

        let y = layer.forward(x, mode: .inference)
        XCTAssertEqual(y.shape, [2, 2])
        assertClose(y.array, [22.5, 27, 49.5, 63], "y")

        let dx = layer.backward(Tensor(shape: [2, 2], values: [1, 0, 0, 1]))
        XCTAssertEqual(dx.shape, [2, 3])
        assertClose(dx.array, [1, 3, 5, 2, 4, 6], "dx = dy · Wᵀ")
        assertClose(Array(bound.gradients.prefix(6)), [1, 4, 2, 5, 3, 6], "dW = xᵀ · dy")
        assertClose(Array(bound.gradients[6..<8]), [1, 1], "db = column sums of dy")
    }

    func testBackwardWritesParameterGradientsOverWhatTheBufferHeld() {
        let layer = Dense(inputFeatures: 3, units: 2)
        let bound = BoundLayer(layer)
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let dy = Tensor(shape: [2, 2], values: [1, -1, 0.5, 2])
        _ = layer.forward(x, mode: .inference)
        _ = layer.backward(dy)
        let once = Array(bound.gradients)
        bound.gradients.update(repeating: .nan)
        _ = layer.backward(dy)
        XCTAssertEqual(Array(bound.gradients).map(\.bitPattern), once.map(\.bitPattern), "second backward writes the same gradient")
    }

    /// With Distill's kernel `dx` is computed as `(W · dyᵀ)ᵀ`: it must have the bits of the
    /// product `dy · Wᵀ` itself, for shard-sized and odd shapes (k past one 256-deep slice, edges
    /// of the 14 x 32 tiles). Under OpenBLAS (`DISTILL_GEMM=openblas`) it is that product.
    func testInputGradientHasTheBitsOfTheDirectProduct() {
        for (n, features, units) in [(64, 800, 800), (13, 37, 300), (1, 5, 3), (64, 784, 10)] {
            let layer = Dense(inputFeatures: features, units: units)
            let bound = BoundLayer(layer, seed: UInt64(n * features + units))
            let x = Tensor(shape: [n, features], values: GradientCheck.randomValues(n * features, seed: 7))
            let dy = Tensor(shape: [n, units], values: GradientCheck.randomValues(n * units, seed: 8))
            _ = layer.forward(x, mode: .inference)
            let dx = layer.backward(dy).array
            var direct = [Float](repeating: 0, count: n * features)
            direct.withUnsafeMutableBufferPointer { c in
                BLAS.gemm(transposeB: true, m: n, n: features, k: units, a: dy.pointer, lda: units,
                          b: UnsafePointer(bound.parameters.baseAddress!), ldb: units, c: c.baseAddress!, ldc: features)
            }
            let mismatch = dx.indices.first { dx[$0].bitPattern != direct[$0].bitPattern }
            XCTAssertNil(mismatch, "n \(n), \(features) -> \(units): dx[\(mismatch ?? 0)] differs from dy · Wᵀ's (\(BLAS.kernel))")
        }
    }

    /// Tolerance: relative error 2e-3 (worst seen 1.5e-4; Float forward, central differences with h = 1e-2).
    func testGradientsMatchCentralDifferences() {
        checkLayerGradients(Dense(inputFeatures: 7, units: 5), batch: 4, tolerance: 2e-3)
    }

    /// Tolerance: relative error 2e-3 (worst seen 5e-5).
    func testGradientsWithoutBias() {
        let layer = Dense(inputFeatures: 6, units: 3, useBias: false)
        XCTAssertEqual(layer.parameterSpecs.map(\.name), ["kernel"])
        checkLayerGradients(layer, batch: 3, tolerance: 2e-3)
    }

    func testParameterSpecs() {
        let layer = Dense(inputFeatures: 4, units: 3)
        XCTAssertEqual(layer.parameterSpecs, [
            ParameterSpec(name: "kernel", shape: [4, 3], initializer: .uniform(limit: (6 / Float(4 + 3)).squareRoot())),
            ParameterSpec(name: "bias", shape: [3], initializer: .zeros),
        ])
        XCTAssertEqual(Dense(inputFeatures: 4, units: 3, weightInit: .torchDefault).parameterSpecs.map(\.initializer),
                       [.uniform(limit: 0.5), .uniform(limit: 0.5)], "torch_default draws biases too, U(±1/√fan_in)")
        XCTAssertEqual(layer.inputShape, [4])
        XCTAssertEqual(layer.outputShape, [3])
    }

    func testSkippingInputGradientKeepsParameterGradientsAndReturnsZeros() {
        let x = Tensor(shape: [3, 4], values: GradientCheck.randomValues(12, seed: 3))
        let dy = Tensor(shape: [3, 2], values: GradientCheck.randomValues(6, seed: 4))
        let full = Dense(inputFeatures: 4, units: 2)
        let fullBound = BoundLayer(full)
        _ = full.forward(x, mode: .inference)
        _ = full.backward(dy)

        let skipping = Dense(inputFeatures: 4, units: 2)
        skipping.computesInputGradient = false
        let skippingBound = BoundLayer(skipping)
        _ = skipping.forward(x, mode: .inference)
        let dx = skipping.backward(dy)
        XCTAssertEqual(dx.shape, [3, 4])
        XCTAssertEqual(dx.array, [Float](repeating: 0, count: 12))
        XCTAssertEqual(Array(skippingBound.gradients), Array(fullBound.gradients))
    }
}
