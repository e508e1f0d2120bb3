import XCTest
@testable import Core

final class ModelPresetsTests: XCTestCase {
    private func counts(_ name: String, input: [Int], classes: Int = 10) throws -> (trainable: Int, state: Int) {
        let network = try Network(spec: ModelPresets.named(name)!, inputShape: input, classes: classes)
        return (network.layout.parameterCount, network.layout.stateCount)
    }

    func testSeedStudentHasTheKerasParameterCount() throws {
        let c = try counts("seed-student", input: [32, 32, 3])
        XCTAssertEqual(c.trainable, 769_162)
        XCTAssertEqual(c.trainable + c.state, 770_378)
    }

    func testVGG8TeacherParameterCount() throws {
        let c = try counts("vgg8-teacher", input: [32, 32, 3])
        XCTAssertEqual(c.trainable + c.state, 3_253_834)
    }

    func testResNet20ParameterCount() throws {
        // 432 + 32 (stem) + 14,016 (stage 1) + 51,648 (stage 2) + 205,696 (stage 3) + 650 (dense).
        XCTAssertEqual(try counts("resnet20", input: [32, 32, 3]).trainable, 272_474)
    }

    func testHintonMLPsParameterCounts() throws {
        XCTAssertEqual(try counts("hinton-teacher", input: [28, 28, 1]).trainable, 2_395_210)
        XCTAssertEqual(try counts("hinton-student", input: [28, 28, 1]).trainable, 1_276_810)
    }

    func testClassCountComesFromTheData() throws {
        let network = try Network(spec: ModelPresets.seedStudent, inputShape: [32, 32, 3], classes: 7)
        XCTAssertEqual(network.layers.last?.outputShape, [7])
        XCTAssertEqual(network.layout.parameters.last?.shape, [7])
    }

    func testEveryPresetRunsForwardOnItsInput() throws {
        for (name, input) in [("seed-student", [32, 32, 3]), ("vgg8-teacher", [32, 32, 3]), ("resnet20", [32, 32, 3]),
                              ("hinton-teacher", [28, 28, 1]), ("hinton-student", [28, 28, 1])] {
            let network = try Network(spec: ModelPresets.named(name)!, inputShape: input, classes: 10)
            let parameters = ModelParameters(layout: network.layout)
            parameters.initialize(seed: 3)
            network.bind(parameters, gradients: nil)
            let x = Tensor(shape: [2] + input, values: GradientCheck.randomValues(2 * input.reduce(1, *), seed: 5))
            let y = network.forward(x, mode: .inference)
            XCTAssertEqual(y.shape, [2, 10], name)
            XCTAssertTrue(y.array.allSatisfy(\.isFinite), name)
        }
    }

    func testLayoutNamesAreStable() throws {
        let network = try Network(spec: ModelPresets.seedStudent, inputShape: [32, 32, 3], classes: 10)
        XCTAssertEqual(network.layout.parameters.first?.name, "layer0.conv2d.kernel")
        XCTAssertEqual(network.layout.parameters.first?.shape, [3, 3, 3, 32])
        XCTAssertEqual(network.layout.state.first?.name, "layer1.batchnorm.running_mean")
        let resnet = try Network(spec: ModelPresets.resnet20, inputShape: [32, 32, 3], classes: 10)
        XCTAssertTrue(resnet.layout.parameters.contains { $0.name == "layer9.basicblock.shortcut_conv.kernel" })
        XCTAssertEqual(resnet.batchNorms.count, 1 + 9 * 2 + 2)
    }

    func testInitialisationIsKeyedBySeed() throws {
        let network = try Network(spec: ModelPresets.seedStudent, inputShape: [32, 32, 3], classes: 10)
        let a = ModelParameters(layout: network.layout), b = ModelParameters(layout: network.layout), c = ModelParameters(layout: network.layout)
        a.initialize(seed: 1); b.initialize(seed: 1); c.initialize(seed: 2)
        XCTAssertEqual(a.sha256(), b.sha256())
        XCTAssertNotEqual(a.sha256(), c.sha256())
        // Glorot uniform limit for the first kernel: sqrt(6 / (27 + 288)).
        let limit = (6.0 / Float(27 + 288)).squareRoot()
        let kernel = Array(a.values[network.layout.parameters[0].range])
        XCTAssertTrue(kernel.allSatisfy { abs($0) <= limit })
        XCTAssertGreaterThan(kernel.map(abs).max()!, 0.9 * limit)
    }
}
