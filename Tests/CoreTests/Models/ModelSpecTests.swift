import XCTest
@testable import Core

final class ModelSpecTests: XCTestCase {
    func testPresetsRoundTripThroughYAMLAndJSON() throws {
        for name in ModelPresets.names {
            let spec = ModelPresets.named(name)!
            XCTAssertEqual(try ModelSpec.parse(spec.yaml(), source: "yaml"), spec, name)
            XCTAssertEqual(try ModelSpec.parse(spec.canonicalJSON(), source: "json"), spec, name)
        }
    }

    func testDefaultsAndClassSizedDense() throws {
        let spec = try ModelSpec.parse("""
            name: tiny
            layers:
              - {type: conv2d, filters: 4}
              - {type: batchnorm}
              - {type: leakyrelu, alpha: 0.1}
              - {type: globalavgpool}
              - {type: dense}
            """, source: "tiny.yaml")
        XCTAssertEqual(spec.layers[0], .conv2d(filters: 4, kernel: 3, stride: 1, padding: .same, bias: true))
        XCTAssertEqual(spec.layers[1], .batchNorm(momentum: 0.99, epsilon: 1e-3))
        XCTAssertEqual(spec.layers[4], .dense(units: nil, bias: true))
        let network = try Network(spec: spec, inputShape: [8, 8, 3], classes: 5)
        XCTAssertEqual(network.layers.last?.outputShape, [5])
    }

    func testUnknownLayerTypeIsNamed() {
        XCTAssertThrowsError(try ModelSpec.parse("name: x\nlayers:\n  - {type: conv3d, filters: 2}\n", source: "m.yaml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("m.yaml: invalid model spec:"), text)
            XCTAssertTrue(text.contains("unknown layer type 'conv3d'"), text)
        }
    }

    func testUnknownOptionIsNamed() {
        XCTAssertThrowsError(try ModelSpec.parse("name: x\nlayers:\n  - {type: dense, unit: 3}\n", source: "m.yaml")) { error in
            XCTAssertTrue("\(error)".contains("unknown option 'unit' for dense"), "\(error)")
        }
    }

    func testMissingRequiredOptionIsNamed() {
        XCTAssertThrowsError(try ModelSpec.parse("name: x\nlayers:\n  - {type: conv2d}\n", source: "m.yaml")) { error in
            XCTAssertTrue("\(error)".contains("filters"), "\(error)")
        }
    }

    func testShapeErrorsNameTheLayer() {
        let dense = ModelSpec(name: "x", layers: [.dense(units: 4, bias: true)])
        XCTAssertThrowsError(try Network(spec: dense, inputShape: [4, 4, 1], classes: 4)) { error in
            XCTAssertEqual("\(error)", "layer 0 (dense): needs a flat input; add a flatten or globalavgpool layer (input shape [4, 4, 1])")
        }
        let noLogits = ModelSpec(name: "x", layers: [.flatten, .dense(units: 4, bias: true)])
        XCTAssertThrowsError(try Network(spec: noLogits, inputShape: [2, 2, 1], classes: 3)) { error in
            XCTAssertTrue("\(error)".contains("expected [3] logits"), "\(error)")
        }
        let pool = ModelSpec(name: "x", layers: [.maxPool2D(size: 5, stride: nil, padding: .valid), .flatten, .dense(units: nil, bias: true)])
        XCTAssertThrowsError(try Network(spec: pool, inputShape: [4, 4, 1], classes: 3))
    }

    func testUnknownModelNameListsPresets() {
        XCTAssertThrowsError(try ModelSpec.load("vgg11")) { error in
            XCTAssertTrue("\(error)".contains("seed-student"), "\(error)")
        }
    }

    /// Every option a spec can carry is input: bad values are errors naming the layer, never traps.
    func testOptionsOutsideTheirRangeNameTheLayer() {
        let head: [LayerSpec] = [.conv2d(filters: 2, kernel: 3, stride: 1, padding: .same, bias: true)]
        let tail: [LayerSpec] = [.globalAvgPool, .dense(units: nil, bias: true)]
        let cases: [(LayerSpec, String)] = [
            (.leakyReLU(alpha: -0.1), "layer 1 (leakyrelu): alpha is -0.1, expected a number ≥ 0 (input shape [8, 8, 2])"),
            (.leakyReLU(alpha: .nan), "layer 1 (leakyrelu): options must be finite numbers (input shape [8, 8, 2])"),
            (.batchNorm(momentum: 0.9, epsilon: .infinity), "layer 1 (batchnorm): options must be finite numbers (input shape [8, 8, 2])"),
            (.batchNorm(momentum: 1, epsilon: 1e-3), "layer 1 (batchnorm): momentum must be in [0, 1) and epsilon > 0 (input shape [8, 8, 2])"),
            (.dropout(rate: 1), "layer 1 (dropout): rate must be in [0, 1) (input shape [8, 8, 2])"),
            (.maxPool2D(size: 0, stride: nil, padding: .same), "layer 1 (maxpool2d): sizes must be positive (input shape [8, 8, 2])"),
            (.avgPool2D(size: 9, stride: 1, padding: .valid), "layer 1 (avgpool2d): window 9 larger than the input (input shape [8, 8, 2])"),
            (.conv2d(filters: 2, kernel: 3, stride: 0, padding: .same, bias: true), "layer 1 (conv2d): sizes must be positive (input shape [8, 8, 2])"),
            (.conv2d(filters: 1 << 40, kernel: 3, stride: 1, padding: .same, bias: true),
             "layer 1 (conv2d): 1099511627776 filters or units, expected at most 65536 (input shape [8, 8, 2])"),
            (.conv2d(filters: 2, kernel: 1 << 16, stride: 1, padding: .same, bias: true),
             "layer 1 (conv2d): sizes [65536, 65536, 2, 2] make an array of more than 2147483647 values (input shape [8, 8, 2])"),
            (.basicBlock(filters: 1 << 20, stride: 1), "layer 1 (basicblock): 1048576 filters or units, expected at most 65536 (input shape [8, 8, 2])"),
        ]
        for (layer, message) in cases {
            XCTAssertThrowsError(try Network(spec: ModelSpec(name: "x", layers: head + [layer] + tail), inputShape: [8, 8, 2], classes: 3)) {
                XCTAssertEqual("\($0)", message)
            }
        }
        let wide = ModelSpec(name: "x", layers: [.flatten, .dense(units: 64, bias: true)])
        XCTAssertThrowsError(try Network(spec: wide, inputShape: [1024, 1024, 64], classes: 3)) {
            XCTAssertEqual("\($0)", "layer 1 (dense): sizes [67108864, 64] make an array of more than 2147483647 values (input shape [67108864])")
        }
    }

    func testInputShapeAndClassesAreChecked() {
        let spec = ModelSpec(name: "flat", layers: [.flatten, .dense(units: nil, bias: true)])
        for (shape, classes) in [([8, 8], 3), ([8, 0, 1], 3), ([8, 8, 1], 0), ([1 << 20, 1 << 20, 4], 3)] {
            XCTAssertThrowsError(try Network(spec: spec, inputShape: shape, classes: classes)) { error in
                XCTAssertTrue("\(error)".hasPrefix("flat: invalid model spec: input shape \(shape) with \(classes) classes"), "\(error)")
            }
        }
    }

    func testCanonicalJSONOfANonFiniteOptionDoesNotTrap() {
        let spec = ModelSpec(name: "x", layers: [.leakyReLU(alpha: .nan), .dropout(rate: .infinity)])
        XCTAssertTrue(spec.canonicalJSON().contains("\"nan\""), spec.canonicalJSON())
    }
}
