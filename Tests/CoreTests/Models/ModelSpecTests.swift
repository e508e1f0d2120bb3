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
}
