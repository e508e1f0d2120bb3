import XCTest
@testable import Core

final class Conv2DTests: XCTestCase {
    /// One convolution configuration to compare against `ConvolutionReference`.
    struct Config: CustomStringConvertible {
        var height = 7, width = 5, channels = 3, filters = 4, kernel = 3, stride = 1
        var padding = Padding.same, useBias = true, batch = 3, computesInputGradient = true
        var description: String {
            "\(height)x\(width)x\(channels)->\(filters) k\(kernel) s\(stride) \(padding) bias \(useBias) batch \(batch) dx \(computesInputGradient)"
        }
    }

    func testPaddingArithmeticFollowsTensorFlow() {
        // (input, kernel, stride) -> (same out, same pad before, valid out)
        let cases: [(Int, Int, Int, Int, Int, Int)] = [
            (7, 3, 2, 4, 1, 3),   // pad total 2: one before, one after
            (8, 3, 2, 4, 0, 3),   // pad total 1: the extra one goes after
            (7, 5, 1, 7, 2, 3),
            (5, 5, 2, 3, 2, 1),   // pad total 4
            (4, 1, 2, 2, 0, 2),   // no padding needed
            (1, 3, 1, 1, 1, 0),   // valid window does not fit
        ]
        for (input, kernel, stride, sameOut, sameBefore, validOut) in cases {
            let label = "in \(input) k \(kernel) s \(stride)"
            XCTAssertEqual(Padding.same.outputSize(input: input, kernel: kernel, stride: stride), sameOut, label)
            XCTAssertEqual(Padding.same.paddingBefore(input: input, kernel: kernel, stride: stride), sameBefore, label)
            XCTAssertEqual(Padding.valid.outputSize(input: input, kernel: kernel, stride: stride), validOut, label)
            XCTAssertEqual(Padding.valid.paddingBefore(input: input, kernel: kernel, stride: stride), 0, label)
        }
    }

    func testOutputShapesAndParameterSpecs() {
        let same = Conv2D(inputShape: [7, 5, 3], filters: 8, kernelSize: 3, stride: 2)
        XCTAssertEqual(same.outputShape, [4, 3, 8])
        XCTAssertEqual(same.parameterSpecs, [
            ParameterSpec(name: "kernel", shape: [3, 3, 3, 8], initializer: .uniform(limit: (6 / Float(27 + 72)).squareRoot())),
            ParameterSpec(name: "bias", shape: [8], initializer: .zeros),
        ])
        XCTAssertEqual(Conv2D(inputShape: [7, 5, 3], filters: 8, kernelSize: 3, weightInit: .heNormal).parameterSpecs.map(\.initializer),
                       [.truncatedNormal(standardDeviation: (2 / Float(27)).squareRoot()), .zeros], "fan-in is k·k·Cin")
        let valid = Conv2D(inputShape: [7, 5, 3], filters: 8, kernelSize: 3, stride: 2, padding: .valid, useBias: false)
        XCTAssertEqual(valid.outputShape, [3, 2, 8])
        XCTAssertEqual(valid.parameterSpecs.map(\.name), ["kernel"])
        XCTAssertEqual(Conv2D(inputShape: [32, 32, 3], filters: 16, kernelSize: 5).outputShape, [32, 32, 16])
    }

    func testMatchesReferenceOverConfigurations() {
        for kernel in [1, 3, 5] { for stride in [1, 2] { for padding in [Padding.same, .valid] {
            for channels in [1, 3, 4] { for batch in [1, 3] { for useBias in [true, false] {
                checkAgainstReference(Config(channels: channels, kernel: kernel, stride: stride,
                                             padding: padding, useBias: useBias, batch: batch))
            } } }
        } } }
    }

    func testWithoutInputGradientStillAccumulatesParameterGradients() {
        for kernel in [1, 3] {
            checkAgainstReference(Config(kernel: kernel, computesInputGradient: false))
        }
    }

    func testBatchSpanningSeveralColumnChunksMatchesReference() {
        // 20·16 pixels × 72 patch floats per sample: chunks of 2, 2, 2 and 1 samples in the 2^16-float workspace.
        let config = Config(height: 20, width: 16, channels: 8, filters: 5, kernel: 3, batch: 7)
        XCTAssertGreaterThan(config.batch * 20 * 16 * 72, 2 * Conv2D.columnBudget)
        checkAgainstReference(config)
    }

    func testInferenceForwardEqualsTrainingForward() {
        // Stride 2 keeps im2col in inference too (3×3 stride 1 with 16+ channels runs Winograd: Winograd3x3Tests).
        let layer = Conv2D(inputShape: [6, 6, 2], filters: 3, kernelSize: 3, stride: 2)
        let bound = BoundLayer(layer, seed: 3)
        let x = Tensor(shape: [2, 6, 6, 2], values: GradientCheck.randomValues(144, seed: 4))
        let training = layer.forward(x, mode: .training(random: KeyedRandom(seed: 1), sampleOffset: 0)).array
        let inference = layer.forward(x, mode: .inference).array
        XCTAssertEqual(training, inference)
        _ = bound
    }

    func testGradientsMatchCentralDifferences() {
        // Conv is linear in x and kernel, so differences with h = 1e-2 are exact up to Float rounding; tolerance 1e-2 relative.
        checkLayerGradients(Conv2D(inputShape: [5, 4, 3], filters: 2, kernelSize: 3, stride: 2), batch: 2, tolerance: 1e-2)
        checkLayerGradients(Conv2D(inputShape: [4, 5, 2], filters: 3, kernelSize: 3, padding: .valid, useBias: false),
                            batch: 2, tolerance: 1e-2)
        checkLayerGradients(Conv2D(inputShape: [3, 3, 4], filters: 2, kernelSize: 1), batch: 2, tolerance: 1e-2)
    }

    /// Runs forward and two backward passes of the fast layer and compares output, input
    /// gradient and parameter gradients with the reference kernel: the second pass writes the
    /// parameter gradients over the first's, it does not add to them.
    private func checkAgainstReference(_ config: Config, file: StaticString = #filePath, line: UInt = #line) {
        let inputShape = [config.height, config.width, config.channels]
        let layer = Conv2D(inputShape: inputShape, filters: config.filters, kernelSize: config.kernel,
                           stride: config.stride, padding: config.padding, useBias: config.useBias)
        layer.computesInputGradient = config.computesInputGradient
        let bound = BoundLayer(layer, seed: 11)
        let kernelCount = layer.parameterSpecs[0].count
        let kernel = Array(bound.parameters[0..<kernelCount])
        let bias = config.useBias ? Array(bound.parameters[kernelCount..<kernelCount + config.filters]) : []
        let xCount = config.batch * inputShape.reduce(1, *)
        let x = Tensor(shape: [config.batch] + inputShape, values: GradientCheck.randomValues(xCount, seed: 12))
        let yShape = [config.batch] + layer.outputShape
        let dy = Tensor(shape: yShape, values: GradientCheck.randomValues(yShape.reduce(1, *), seed: 13))
        let geometry = WindowGeometry(inputShape: inputShape, kernel: config.kernel, stride: config.stride, padding: config.padding)

        let expectedY = ConvolutionReference.forward(x: x.array, batch: config.batch, geometry: geometry,
                                                     kernel: kernel, bias: bias, filters: config.filters)
        let expected = ConvolutionReference.backward(x: x.array, batch: config.batch, geometry: geometry,
                                                     kernel: kernel, dy: dy.array, filters: config.filters)
        let y = layer.forward(x, mode: .training(random: KeyedRandom(seed: 1), sampleOffset: 0))
        XCTAssertEqual(y.shape, yShape, "\(config)", file: file, line: line)
        assertClose(y.array, expectedY, rtol: 1e-4, atol: 1e-5, "y \(config)", file: file, line: line)
        _ = layer.backward(dy)
        let dx = layer.backward(dy)
        XCTAssertEqual(dx.shape, x.shape, "\(config)", file: file, line: line)
        let expectedDx = config.computesInputGradient ? expected.dx : [Float](repeating: 0, count: xCount)
        assertClose(dx.array, expectedDx, rtol: 1e-4, atol: 1e-5, "dx \(config)", file: file, line: line)
        assertClose(Array(bound.gradients[0..<kernelCount]), expected.dKernel, rtol: 1e-4, atol: 1e-4,
                    "dKernel \(config)", file: file, line: line)
        if config.useBias {
            assertClose(Array(bound.gradients[kernelCount..<kernelCount + config.filters]), expected.dBias,
                        rtol: 1e-4, atol: 1e-4, "dBias \(config)", file: file, line: line)
        }
    }
}
