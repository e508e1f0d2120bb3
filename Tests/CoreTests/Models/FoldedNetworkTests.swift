import XCTest
@testable import Core

/// The folded inference teacher (`Network.foldedForInference()`) against the network it came from,
/// and the fused bias+activation epilogue of `Conv2D` against `ConvolutionReference`.
final class FoldedNetworkTests: XCTestCase {
    /// `spec` on `inputShape`, bound to random values and random running statistics (variances in [0.5, 1.5]).
    private func randomNetwork(_ spec: ModelSpec, inputShape: [Int], seed: UInt64) throws -> Network {
        let network = try Network(spec: spec, inputShape: inputShape, classes: 10)
        let parameters = ModelParameters(layout: network.layout)
        let values = GradientCheck.randomValues(network.layout.parameterCount, seed: seed, scale: 0.5)
        for i in values.indices { parameters.values[i] = values[i] }
        let state = GradientCheck.randomValues(network.layout.stateCount, seed: seed &+ 1, scale: 0.5)
        for entry in network.layout.state {
            let isVariance = entry.name.hasSuffix("running_variance")
            for i in entry.range { parameters.state[i] = isVariance ? 1 + state[i] : state[i] }
        }
        network.bind(parameters, gradients: nil)
        return network
    }

    func testFoldedPresetsMatchInferenceOfTheOriginal() throws {
        let cases: [(String, [Int])] = [("vgg8-teacher", [8, 8, 3]), ("seed-student", [8, 8, 3]),
                                        ("hinton-teacher", [6, 6, 1]), ("resnet20", [8, 8, 3])]
        for (seed, (name, shape)) in cases.enumerated() {
            let network = try randomNetwork(ModelPresets.named(name)!, inputShape: shape, seed: UInt64(seed + 1))
            let x = Tensor(shape: [3] + shape, values: GradientCheck.randomValues(3 * shape.reduce(1, *), seed: 77))
            let expected = network.forward(x, mode: .inference).array
            let folded = network.foldedForInference()
            let actual = folded.forward(x, mode: .inference)
            XCTAssertEqual(actual.shape, [3, 10], name)
            assertClose(actual.array, expected, rtol: 1e-4, atol: 1e-4, name)
        }
    }

    /// Replicas folded from one teacher (one per thread) read one copy of its folded values and
    /// packed kernels, keep their own activations, and give the bits of a replica of their own.
    func testFoldedReplicasShareOneCopyAndGiveTheBitsOfAnUnsharedOne() throws {
        for (seed, (name, shape)) in [("hinton-teacher", [6, 6, 1]), ("vgg8-teacher", [8, 8, 3]), ("resnet20", [8, 8, 3])].enumerated() {
            let teacher = try randomNetwork(ModelPresets.named(name)!, inputShape: shape, seed: UInt64(seed + 11))
            func replica() throws -> Network {
                let network = try Network(spec: teacher.spec, inputShape: shape, classes: 10)
                network.bind(teacher.parameters!, gradients: nil)
                return network.foldedForInference()
            }
            let (first, second, alone) = (try replica(), try replica(), try replica())
            let x1 = Tensor(shape: [3] + shape, values: GradientCheck.randomValues(3 * shape.reduce(1, *), seed: 78))
            let x2 = Tensor(shape: [2] + shape, values: GradientCheck.randomValues(2 * shape.reduce(1, *), seed: 79))
            let expected1 = alone.forward(x1, mode: .inference).array, expected2 = alone.forward(x2, mode: .inference).array
            second.shareFoldedWeights(with: first)
            XCTAssertTrue(second.parameters === first.parameters, name)
            for case let (mine as Dense, theirs as Dense) in zip(second.layers, first.layers) {
                XCTAssertNotNil(mine.packedKernel, name)
                XCTAssertTrue(mine.packedKernel === theirs.packedKernel, name)
            }
            let y1 = first.forward(x1, mode: .inference)
            let y2 = second.forward(x2, mode: .inference)
            XCTAssertEqual(y2.array, expected2, name)
            XCTAssertEqual(y1.array, expected1, "\(name): the first replica's output is its own")
        }
    }

    /// The executors a setup makes (one per thread) read the first one's folded teacher.
    func testExecutorsOfOneSetupShareTheFirstOnesFoldedTeacher() throws {
        let base = try RunConfig.load(path: nil, overrides: ["data.train_size=64", "data.validation=0", "data.test_size=16"])
        let shape = try TrainingSetup(config: base, parallelism: 1).inputShape
        let network = try Network(spec: ModelPresets.named("hinton-teacher")!, inputShape: shape, classes: 10)
        let parameters = ModelParameters(layout: network.layout)
        parameters.initialize(seed: 5)
        let path = NSTemporaryDirectory() + "/folded-teacher-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile(spec: network.spec, inputShape: shape, classes: 10, normalization: .unit(channels: shape[2]), role: "teacher",
                      parameters: parameters).write(to: path)
        var config = base
        try config.set("teacher.checkpoint", text: path)
        let setup = try TrainingSetup(config: config, parallelism: 2)
        let (first, second) = (try setup.makeExecutor(), try setup.makeExecutor())
        XCTAssertNotNil(first.teacher?.parameters)
        XCTAssertTrue(second.teacher?.parameters === first.teacher?.parameters)
        XCTAssertFalse(second.teacher === first.teacher, "each executor keeps its own replica")
    }

    func testFoldingRemovesBatchNormActivationsDropoutAndFlatten() throws {
        let vgg = try randomNetwork(ModelPresets.vgg8Teacher, inputShape: [8, 8, 3], seed: 3).foldedForInference()
        XCTAssertEqual(vgg.layers.map { String(describing: type(of: $0)) },
                       ["Conv2D", "Conv2D", "MaxPool2D", "Conv2D", "Conv2D", "MaxPool2D", "Conv2D", "Conv2D", "MaxPool2D", "Dense", "Dense"])
        XCTAssertEqual(vgg.layers.compactMap { ($0 as? Conv2D)?.fusedActivation }, Array(repeating: .relu, count: 6))
        XCTAssertEqual(vgg.layers.compactMap { ($0 as? Dense)?.fusedActivation }, [.relu, .identity])
        XCTAssertEqual(vgg.layout.stateCount, 0)
        let student = try randomNetwork(ModelPresets.seedStudent, inputShape: [8, 8, 3], seed: 4).foldedForInference()
        XCTAssertEqual(student.layers.compactMap { ($0 as? Conv2D)?.fusedActivation }, Array(repeating: .leakyReLU(alpha: 0.1), count: 4))
        XCTAssertFalse(student.layers.contains { $0 is Dropout || $0 is Flatten || $0 is BatchNorm })
        // BatchNorm inside a BasicBlock is kept (with its running statistics).
        let resnet = try randomNetwork(ModelPresets.resnet20, inputShape: [8, 8, 3], seed: 5).foldedForInference()
        XCTAssertTrue(resnet.layers.contains { $0 is BasicBlock })
        XCTAssertGreaterThan(resnet.layout.stateCount, 0)
    }

    func testFusedConvolutionMatchesReferenceWithActivation() {
        let activations: [FusedActivation] = [.identity, .relu, .leakyReLU(alpha: 0.1)]
        for kernel in [1, 3] { for stride in [1, 2] { for useBias in [true, false] { for activation in activations {
            let label = "k\(kernel) s\(stride) bias \(useBias) \(activation)"
            let conv = Conv2D(inputShape: [7, 5, 3], filters: 4, kernelSize: kernel, stride: stride, useBias: useBias)
            conv.fusedActivation = activation
            let bound = BoundLayer(conv, seed: 9)
            let x = Tensor(shape: [2, 7, 5, 3], values: GradientCheck.randomValues(2 * 105, seed: 10))
            let kernelValues = Array(bound.parameters[0..<(kernel * kernel * 12)])
            let bias = useBias ? Array(bound.parameters[(kernel * kernel * 12)..<(kernel * kernel * 12 + 4)]) : []
            let geometry = WindowGeometry(inputShape: [7, 5, 3], kernel: kernel, stride: stride, padding: .same)
            let slope: Float = activation == .relu ? 0 : activation == .identity ? 1 : 0.1
            let expected = ConvolutionReference.forward(x: x.array, batch: 2, geometry: geometry, kernel: kernelValues,
                                                        bias: bias, filters: 4).map { $0 > 0 ? $0 : slope * $0 }
            assertClose(conv.forward(x, mode: .inference).array, expected, rtol: 1e-5, atol: 1e-5, label)
        } } } }
    }
}
