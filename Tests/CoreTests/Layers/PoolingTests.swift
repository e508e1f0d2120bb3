import XCTest
@testable import Core

final class PoolingTests: XCTestCase {
    private let training = ForwardMode.training(random: KeyedRandom(seed: 1), sampleOffset: 0)

    func testOutputShapes() {
        XCTAssertEqual(MaxPool2D(inputShape: [7, 5, 3], poolSize: 2).outputShape, [3, 2, 3])
        XCTAssertEqual(MaxPool2D(inputShape: [7, 5, 3], poolSize: 2, padding: .same).outputShape, [4, 3, 3])
        XCTAssertEqual(AvgPool2D(inputShape: [7, 5, 3], poolSize: 3, stride: 1).outputShape, [5, 3, 3])
        XCTAssertEqual(AvgPool2D(inputShape: [7, 5, 3], poolSize: 3, stride: 2, padding: .same).outputShape, [4, 3, 3])
        XCTAssertEqual(MaxPool2D(inputShape: [8, 8, 4], poolSize: 3, stride: 2).window.stride, 2)
        XCTAssertEqual(AvgPool2D(inputShape: [8, 8, 4], poolSize: 3).window.stride, 3)
        XCTAssertEqual(GlobalAvgPool(inputShape: [7, 5, 6]).outputShape, [6])
    }

    func testSamePaddingWindowsCoverOnlyInBoundsElements() {
        // 3×3 input 1...9, 2×2 windows stride 2, same: padding is one row/column after.
        let x = Tensor(shape: [1, 3, 3, 1], values: (1...9).map(Float.init))
        XCTAssertEqual(MaxPool2D(inputShape: [3, 3, 1], poolSize: 2, padding: .same).forward(x, mode: .inference).array,
                       [5, 6, 8, 9])
        XCTAssertEqual(AvgPool2D(inputShape: [3, 3, 1], poolSize: 2, padding: .same).forward(x, mode: .inference).array,
                       [3, 4.5, 7.5, 9])
    }

    func testMaxPoolInferenceGivesTrainingsMaximaBitForBit() {
        // Training keeps its input for backward; its maxima (ties, negatives, ±0, same and valid
        // padding, overlapping windows) must be exactly the inference forward's.
        for (pool, stride, padding) in [(2, 2, Padding.valid), (3, 2, .same), (3, 1, .same), (2, 2, .same)] {
            let layer = MaxPool2D(inputShape: [7, 6, 5], poolSize: pool, stride: stride, padding: padding)
            var values = GradientCheck.randomValues(2 * 7 * 6 * 5, seed: 31).map { ($0 * 4).rounded() / 4 }
            values[3] = -0.0
            let x = Tensor(shape: [2, 7, 6, 5], values: values)
            XCTAssertEqual(layer.forward(x, mode: .inference).array.map(\.bitPattern),
                           layer.forward(x, mode: training).array.map(\.bitPattern), "pool \(pool) stride \(stride) \(padding)")
        }
    }

    func testMaxPoolRoutesTiesToFirstMaximum() {
        let layer = MaxPool2D(inputShape: [2, 4, 1], poolSize: 2)
        let x = Tensor(shape: [1, 2, 4, 1], values: [1, 1, 0, 2,
                                                      1, 1, 2, 2])
        XCTAssertEqual(layer.forward(x, mode: training).array, [1, 2])
        let dx = layer.backward(Tensor(shape: [1, 1, 2, 1], values: [5, 7])).array
        XCTAssertEqual(dx, [5, 0, 0, 7,
                            0, 0, 0, 0])
        // Overlapping windows (3×3 every pixel, same padding) add the gradients routed to one element.
        let overlapping = MaxPool2D(inputShape: [2, 2, 1], poolSize: 3, stride: 1, padding: .same)
        XCTAssertEqual(overlapping.forward(Tensor(shape: [1, 2, 2, 1], values: [4, 4, 1, 4]), mode: training).array, [4, 4, 4, 4])
        XCTAssertEqual(overlapping.backward(Tensor(shape: [1, 2, 2, 1], values: [1, 2, 3, 4])).array, [10, 0, 0, 0])
    }

    func testMaxPoolMatchesReference() {
        for (pool, stride, padding) in windowConfigurations {
            let layer = MaxPool2D(inputShape: [7, 5, 3], poolSize: pool, stride: stride, padding: padding)
            checkAgainstReference(layer, geometry: WindowGeometry(inputShape: [7, 5, 3], kernel: pool, stride: layer.window.stride,
                                                                  padding: padding), reference: PoolingReference.maxPool)
        }
    }

    func testAvgPoolMatchesReference() {
        for (pool, stride, padding) in windowConfigurations {
            let layer = AvgPool2D(inputShape: [7, 5, 3], poolSize: pool, stride: stride, padding: padding)
            checkAgainstReference(layer, geometry: WindowGeometry(inputShape: [7, 5, 3], kernel: pool, stride: layer.window.stride,
                                                                  padding: padding), reference: PoolingReference.avgPool)
        }
    }

    func testGlobalAvgPoolValues() {
        let layer = GlobalAvgPool(inputShape: [2, 2, 2])
        let x = Tensor(shape: [2, 2, 2, 2], values: [1, 10, 2, 20, 3, 30, 4, 40,
                                                     -1, 0, -1, 0, -1, 0, -1, 8])
        XCTAssertEqual(layer.forward(x, mode: training).array, [2.5, 25, -1, 2])
        XCTAssertEqual(layer.backward(Tensor(shape: [2, 2], values: [4, 8, -4, 0])).array,
                       [1, 2, 1, 2, 1, 2, 1, 2, -1, 0, -1, 0, -1, 0, -1, 0])
    }

    func testGradientsMatchCentralDifferences() {
        // Pooling is piecewise linear: differences with h = 1e-2 are exact up to Float rounding; tolerance 1e-2 relative.
        // Max pool inputs are spread over [-100, 100) so no two window values lie within h (no ties, no switching argmax).
        checkLayerGradients(MaxPool2D(inputShape: [5, 4, 3], poolSize: 2, stride: 1, padding: .same), batch: 2,
                            inputScale: 100, tolerance: 1e-2)
        checkLayerGradients(MaxPool2D(inputShape: [6, 6, 2], poolSize: 3, stride: 2), batch: 2, inputScale: 100, tolerance: 1e-2)
        checkLayerGradients(AvgPool2D(inputShape: [5, 4, 3], poolSize: 3, stride: 2, padding: .same), batch: 2, tolerance: 1e-2)
        checkLayerGradients(AvgPool2D(inputShape: [6, 6, 2], poolSize: 2), batch: 2, tolerance: 1e-2)
        checkLayerGradients(GlobalAvgPool(inputShape: [3, 4, 5]), batch: 2, tolerance: 1e-2)
    }

    /// (pool size, stride or nil for the default, padding) combinations that fit a 7×5 input.
    private let windowConfigurations: [(Int, Int?, Padding)] = [
        (2, nil, .valid), (2, nil, .same), (2, 1, .valid), (2, 1, .same),
        (3, 2, .valid), (3, 2, .same), (3, 1, .same), (3, nil, .same), (1, 2, .valid),
    ]

    /// Compares the fast layer's forward and backward passes with a reference on a batch of 3.
    private func checkAgainstReference(
        _ layer: Layer, geometry: WindowGeometry,
        reference: ([Float], [Float], Int, WindowGeometry) -> (y: [Float], dx: [Float]),
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let batch = 3
        let label = "\(type(of: layer)) k\(geometry.kernel) s\(geometry.stride) out \(layer.outputShape)"
        let xShape = [batch] + layer.inputShape, yShape = [batch] + layer.outputShape
        let x = Tensor(shape: xShape, values: GradientCheck.randomValues(xShape.reduce(1, *), seed: 21))
        let dy = Tensor(shape: yShape, values: GradientCheck.randomValues(yShape.reduce(1, *), seed: 22))
        let expected = reference(x.array, dy.array, batch, geometry)
        let y = layer.forward(x, mode: training)
        XCTAssertEqual(y.shape, yShape, label, file: file, line: line)
        assertClose(y.array, expected.y, "y \(label)", file: file, line: line)
        let dx = layer.backward(dy)
        XCTAssertEqual(dx.shape, xShape, label, file: file, line: line)
        assertClose(dx.array, expected.dx, "dx \(label)", file: file, line: line)
    }
}
