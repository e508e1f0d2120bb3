import XCTest
@testable import Core

/// Every initialisation scheme against its definition, on a layer large enough (600,000 weights)
/// for sample moments to sit within a percent of the true ones.
final class WeightInitTests: XCTestCase {
    private let fanIn = 1200
    private let fanOut = 500

    /// Kernel and bias of a `fanIn → fanOut` dense layer initialised with `scheme` and `seed`.
    private func denseArrays(_ scheme: WeightInit, seed: UInt64 = 3) throws -> (kernel: [Float], bias: [Float]) {
        let spec = ModelSpec(name: "wide", layers: [.flatten, .dense(units: fanOut, bias: true, weightInit: scheme), .dense(units: nil, bias: true)])
        let network = try Network(spec: spec, inputShape: [1, 1, fanIn], classes: 10)
        let parameters = ModelParameters(layout: network.layout)
        parameters.initialize(seed: seed)
        let entries = network.layout.parameters
        return (Array(parameters.values[entries[0].range]), Array(parameters.values[entries[1].range]))
    }

    private func moments(_ x: [Float]) -> (mean: Double, std: Double, maxAbs: Float) {
        let mean = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        let variance = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(x.count)
        return (mean, variance.squareRoot(), x.map(abs).max() ?? 0)
    }

    func testUniformSchemesStayWithinTheirLimitsAndFillThem() throws {
        let limits: [(WeightInit, Double)] = [
            (.glorotUniform, (6 / Double(fanIn + fanOut)).squareRoot()),
            (.heUniform, (6 / Double(fanIn)).squareRoot()),
            (.torchDefault, 1 / Double(fanIn).squareRoot()),
        ]
        for (scheme, limit) in limits {
            let (kernel, _) = try denseArrays(scheme)
            let m = moments(kernel)
            XCTAssertLessThanOrEqual(Double(m.maxAbs), limit * (1 + 1e-6), "\(scheme)")
            XCTAssertGreaterThan(Double(m.maxAbs), limit * 0.999, "\(scheme) reaches its limit")
            XCTAssertEqual(m.std, limit / 3.0.squareRoot(), accuracy: limit * 0.01, "\(scheme): U(±a) has σ = a/√3")
            XCTAssertEqual(m.mean, 0, accuracy: limit * 0.01, "\(scheme)")
        }
    }

    func testTruncatedNormalSchemesHaveTheirStandardDeviationAndCut() throws {
        let deviations: [(WeightInit, Double)] = [
            (.glorotNormal, (2 / Double(fanIn + fanOut)).squareRoot()),
            (.heNormal, (2 / Double(fanIn)).squareRoot()),
            (.lecunNormal, (1 / Double(fanIn)).squareRoot()),
        ]
        for (scheme, sigma) in deviations {
            let (kernel, bias) = try denseArrays(scheme)
            let m = moments(kernel)
            XCTAssertEqual(m.std, sigma, accuracy: sigma * 0.01, "\(scheme)")
            XCTAssertEqual(m.mean, 0, accuracy: sigma * 0.01, "\(scheme)")
            let cut = 2 * sigma / Double(Initializer.truncatedNormalShrink)
            XCTAssertLessThanOrEqual(Double(m.maxAbs), cut * (1 + 1e-6), "\(scheme): cut at two σ of the untruncated normal")
            XCTAssertGreaterThan(Double(m.maxAbs), cut * 0.99, "\(scheme) draws up to the cut")
            XCTAssertEqual(bias, [Float](repeating: 0, count: fanOut), "\(scheme): zero bias")
        }
    }

    func testTorchDefaultDrawsBiasesWithinOneOverRootFanIn() throws {
        let (_, bias) = try denseArrays(.torchDefault)
        let limit = 1 / Float(fanIn).squareRoot()
        XCTAssertTrue(bias.allSatisfy { abs($0) <= limit }, "U(±1/√fan_in)")
        XCTAssertGreaterThan(moments(bias).std, Double(limit) * 0.5, "not zero")
        for scheme in WeightInit.allCases where scheme != .torchDefault {
            XCTAssertEqual(try denseArrays(scheme).bias, [Float](repeating: 0, count: fanOut), "\(scheme)")
        }
    }

    func testGlorotUniformKeepsTheDrawsOfEarlierVersions() throws {
        let (kernel, _) = try denseArrays(.glorotUniform, seed: 11)
        let random = KeyedRandom(seed: 11, RandomStream.initialization, 0, 0)
        let limit = (6 / Float(fanIn + fanOut)).squareRoot()
        for i in [0, 1, 777, kernel.count - 1] {
            XCTAssertEqual(kernel[i], (random.uniform(UInt64(i)) * 2 - 1) * limit, "element \(i)")
        }
        XCTAssertEqual(try denseArrays(.heNormal, seed: 11).kernel, try denseArrays(.heNormal, seed: 11).kernel, "keyed by seed")
        XCTAssertNotEqual(try denseArrays(.heNormal, seed: 11).kernel, try denseArrays(.heNormal, seed: 12).kernel)
    }

    func testModelInitIsTheDefaultAndALayersInitWins() throws {
        var config = try RunConfig.load(path: nil, overrides: ["data.train_size=20", "data.test_size=10", "model.init=torch_default"])
        let spec = try TrainingSetup(config: config, parallelism: 1).studentSpec
        XCTAssertEqual(spec.layers.compactMap(\.weightInit).count, 6, "seed-student: 4 conv2d, 2 dense")
        XCTAssertTrue(spec.layers.compactMap(\.weightInit).allSatisfy { $0 == .torchDefault })
        let explicit = ModelSpec(name: "x", layers: [.dense(units: 3, bias: true, weightInit: .heNormal), .relu, .dense(units: nil, bias: true)])
        XCTAssertEqual(explicit.withDefaultInit(.lecunNormal).layers.map(\.weightInit), [.heNormal, nil, .lecunNormal])
        XCTAssertThrowsError(try config.apply(override: "model.init=xavier")) { error in
            XCTAssertEqual("\(error)", "--set: model.init = 'xavier' is invalid: expected one of "
                + "glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_normal, torch_default")
        }
    }

    func testSpecInitRoundTripsAndUnknownNamesAreErrorsNamingTheLayer() throws {
        let spec = try ModelSpec.parse("""
            name: mixed
            layers:
              - {type: conv2d, filters: 4, init: he_normal}
              - {type: basicblock, filters: 4, init: lecun_normal}
              - {type: globalavgpool}
              - {type: dense, init: torch_default}
            """, source: "mixed.yaml")
        XCTAssertEqual(spec.layers.map(\.weightInit), [.heNormal, .lecunNormal, nil, .torchDefault])
        XCTAssertEqual(try ModelSpec.parse(spec.yaml(), source: "yaml"), spec)
        XCTAssertEqual(try ModelSpec.parse(spec.canonicalJSON(), source: "json"), spec)
        XCTAssertThrowsError(try ModelSpec.parse("layers: [{type: flatten}, {type: dense, init: kaiming}]\nname: x", source: "bad.yaml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("bad.yaml: invalid model spec: unknown init 'kaiming' for dense (known: glorot_uniform, "), "\(error)")
            XCTAssertTrue("\(error)".contains("at .layers[1].init"), "\(error)")
        }
        XCTAssertThrowsError(try ModelSpec.parse("layers: [{type: relu, init: he_normal}]\nname: x", source: "relu.yaml")) { error in
            XCTAssertTrue("\(error)".contains("unknown option 'init' for relu"), "layers without weights take no init: \(error)")
        }
    }
}
