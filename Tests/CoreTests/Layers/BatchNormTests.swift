import XCTest
@testable import Core

final class BatchNormTests: XCTestCase {
    /// Sets gamma and beta (in binding order) of a bound BatchNorm.
    private func setParameters(_ bound: BoundLayer, gamma: [Float], beta: [Float]) {
        for (i, v) in (gamma + beta).enumerated() { bound.parameters[i] = v }
    }

    /// Sets running mean and running variance (in binding order) of a bound BatchNorm.
    private func setState(_ bound: BoundLayer, mean: [Float], variance: [Float]) {
        for (i, v) in (mean + variance).enumerated() { bound.state[i] = v }
    }

    /// After a convolution: per-sample [4, 3, 5]. Tolerance: relative error 5e-3 (worst seen 2.2e-3, on a
    /// gradient of 5e-3 where Float rounding of the loss dominates).
    func testGradientsAfterConvolutionShapedInput() {
        checkLayerGradients(BatchNorm(inputShape: [4, 3, 5]), batch: 3, tolerance: 5e-3)
    }

    /// After a dense layer: per-sample [6], statistics over N = 5. Tolerance: relative error 2e-3 with
    /// h = 3e-3 (with only 5 samples per statistic the default h = 1e-2 leaves a 1e-2 truncation error).
    func testGradientsAfterDenseShapedInput() {
        checkLayerGradients(BatchNorm(inputShape: [6]), batch: 5, h: 3e-3, tolerance: 2e-3)
    }

    func testSpecs() {
        let layer = BatchNorm(inputShape: [8, 8, 3])
        XCTAssertEqual(layer.channels, 3)
        XCTAssertEqual(layer.parameterSpecs.map(\.name), ["gamma", "beta"])
        XCTAssertEqual(layer.parameterSpecs.map(\.initializer), [.ones, .zeros])
        XCTAssertEqual(layer.stateSpecs.map(\.name), ["running_mean", "running_variance"])
        XCTAssertEqual(layer.stateSpecs.map(\.initializer), [.zeros, .ones])
        XCTAssertEqual((layer.parameterSpecs + layer.stateSpecs).map(\.shape), [[3], [3], [3], [3]])
        XCTAssertEqual(layer.momentum, 0.99)
        XCTAssertEqual(layer.epsilon, 1e-3)
    }

    /// Per-sample [1, 2, 2], batch 2: channel 0 holds 1, 3, 5, 7 and channel 1 holds 10, 20, 30, 40.
    func testBatchStatisticsByHand() {
        let layer = BatchNorm(inputShape: [1, 2, 2])
        _ = BoundLayer(layer)
        let x = Tensor(shape: [2, 1, 2, 2], values: [1, 10, 3, 20, 5, 30, 7, 40])
        _ = layer.forward(x, mode: .training(random: KeyedRandom(seed: 1), sampleOffset: 0))
        XCTAssertEqual(layer.batchCount, 4)
        assertClose(Array(layer.batchMean), [4, 25], "mean")
        assertClose(Array(layer.batchVariance), [5, 125], "biased variance (÷4, not ÷3)")
    }

    func testTrainingOutputIsNormalisedPerChannel() {
        let layer = BatchNorm(inputShape: [5, 4, 3])
        let bound = BoundLayer(layer)
        setParameters(bound, gamma: [1, 1, 1], beta: [0, 0, 0])
        let n = 6
        let raw = GradientCheck.randomValues(n * 60, seed: 9)
        // Channel c has scale 3 + c and offset 2 − 4c.
        let x = Tensor(shape: [n, 5, 4, 3], values: raw.enumerated().map { i, v in v * Float(3 + i % 3) + Float(2 - 4 * (i % 3)) })
        let y = layer.forward(x, mode: .training(random: KeyedRandom(seed: 1), sampleOffset: 0)).array
        let m = n * 20
        for c in 0..<3 {
            let values = (0..<m).map { Double(y[$0 * 3 + c]) }
            let mean = values.reduce(0, +) / Double(m)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)
            XCTAssertEqual(mean, 0, accuracy: 1e-5, "channel \(c) mean")
            let batchVariance = Double(layer.batchVariance[c])
            XCTAssertEqual(variance, batchVariance / (batchVariance + 1e-3), accuracy: 1e-5, "channel \(c) variance")
            XCTAssertEqual(variance, 1, accuracy: 1e-3, "channel \(c) variance")
        }
    }

    /// gamma [2, 0.5], beta [1, −1], running mean [1, −2], running variance [3, 0.25], ε = 1e-3:
    /// y = gamma·(x − rm)/sqrt(rv + ε) + beta.
    func testInferenceUsesRunningStatistics() {
        let layer = BatchNorm(inputShape: [2])
        let bound = BoundLayer(layer)
        setParameters(bound, gamma: [2, 0.5], beta: [1, -1])
        setState(bound, mean: [1, -2], variance: [3, 0.25])
        let x = Tensor(shape: [2, 2], values: [4, 0, -1, -3])
        let y = layer.forward(x, mode: .inference)
        // 2·3/sqrt(3.001) + 1, 0.5·2/sqrt(0.251) − 1, 2·(−2)/sqrt(3.001) + 1, 0.5·(−1)/sqrt(0.251) − 1
        assertClose(y.array, [4.4635244, 0.99601196, -1.3090163, -1.9980060], rtol: 1e-6, atol: 1e-6, "y")
    }

    func testForwardLeavesRunningStatisticsUntouched() {
        let layer = BatchNorm(inputShape: [3, 3, 2])
        let bound = BoundLayer(layer)
        setState(bound, mean: [0.5, -0.25], variance: [2, 3])
        let before = Array(bound.state)
        let x = Tensor(shape: [4, 3, 3, 2], values: GradientCheck.randomValues(72, seed: 5, scale: 4))
        _ = layer.forward(x, mode: .training(random: KeyedRandom(seed: 1), sampleOffset: 0))
        _ = layer.backward(Tensor(shape: x.shape, values: GradientCheck.randomValues(72, seed: 6)))
        _ = layer.forward(x, mode: .inference)
        XCTAssertEqual(Array(bound.state), before)
    }

    /// momentum 0.9: running = 0.9·running + 0.1·batch.
    func testUpdateRunningStatisticsAppliesMomentum() {
        let layer = BatchNorm(inputShape: [2], momentum: 0.9)
        let bound = BoundLayer(layer)
        setState(bound, mean: [1, 2], variance: [4, 0.5])
        let mean: [Float] = [3, -2]
        let variance: [Float] = [2, 1]
        layer.updateRunningStatistics(mean: mean, variance: variance)
        // mean: 0.9·1 + 0.1·3 = 1.2, 0.9·2 + 0.1·(−2) = 1.6; variance: 0.9·4 + 0.1·2 = 3.8, 0.9·0.5 + 0.1·1 = 0.55
        assertClose(Array(bound.state), [1.2, 1.6, 3.8, 0.55], rtol: 1e-6, atol: 1e-6, "running statistics")
    }

    /// M = 65,536 positions of values near 100: statistics within 1e-5 (mean) and 1e-4 (variance,
    /// relative) of a Double reference, which a naive Float sum of squares would miss.
    func testStatisticsStayPreciseForLargeBatches() {
        let layer = BatchNorm(inputShape: [64, 64, 1])
        _ = BoundLayer(layer)
        let n = 16
        let noise = GradientCheck.randomValues(n * 4096, seed: 11)
        let x = Tensor(shape: [n, 64, 64, 1], values: noise.map { 100 + $0 })
        _ = layer.forward(x, mode: .training(random: KeyedRandom(seed: 1), sampleOffset: 0))
        let values = x.array.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        XCTAssertEqual(layer.batchCount, 65_536)
        XCTAssertEqual(Double(layer.batchMean[0]), mean, accuracy: 1e-5)
        XCTAssertEqual(Double(layer.batchVariance[0]), variance, accuracy: 1e-4 * variance)
    }
}
