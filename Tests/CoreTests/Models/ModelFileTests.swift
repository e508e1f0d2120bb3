import XCTest
@testable import Core

/// Model files are input: what their metadata claims is checked against the file before use.
final class ModelFileTests: XCTestCase {
    private let spec = ModelSpec(name: "small", layers: [
        .conv2d(filters: 3, kernel: 3, stride: 1, padding: .same, bias: true), .batchNorm(momentum: 0.9, epsilon: 1e-3),
        .relu, .globalAvgPool, .dense(units: nil, bias: true),
    ])

    /// A valid model file for `spec` on [4, 4, 2] inputs with 3 classes, as safetensors.
    private func validFile() throws -> SafeTensors {
        let scratch = ScratchDirectory()
        let network = try Network(spec: spec, inputShape: [4, 4, 2], classes: 3)
        let parameters = ModelParameters(layout: network.layout)
        parameters.initialize(seed: 5)
        let path = scratch.path + "/m.safetensors"
        try ModelFile(spec: spec, inputShape: [4, 4, 2], classes: 3, normalization: Normalization(mean: [0.1, 0.2], std: [0.3, 0.4]),
                      role: "teacher", parameters: parameters).write(to: path)
        return try SafeTensors.decode(try AtomicFile.read(path), source: path)
    }

    /// Reads `file` with metadata `key` replaced by `value`; returns the error's text.
    private func readError(_ key: String, _ value: String) throws -> String {
        var file = try validFile()
        file.metadata[key] = value
        let scratch = ScratchDirectory()
        let path = scratch.path + "/edited.safetensors"
        try AtomicFile.write(file.encoded(), to: path)
        do {
            _ = try ModelFile.read(path)
            return "no error"
        } catch {
            return "\(error)".replacingOccurrences(of: path, with: "FILE")
        }
    }

    func testValidFileReads() throws {
        let scratch = ScratchDirectory()
        let path = scratch.path + "/ok.safetensors"
        try AtomicFile.write(try validFile().encoded(), to: path)
        let model = try ModelFile.read(path)
        XCTAssertEqual(model.inputShape, [4, 4, 2])
        XCTAssertEqual(model.normalization.std, [0.3, 0.4])
    }

    func testStandardDeviationAtOrBelowZeroIsAnError() throws {
        XCTAssertEqual(try readError(ModelFile.Key.std, "0.3,0"),
                       "FILE: invalid normalisation: std[1] = 0.0, expected a finite number > 0")
        XCTAssertEqual(try readError(ModelFile.Key.std, "-1,0.4"),
                       "FILE: invalid normalisation: std[0] = -1.0, expected a finite number > 0")
        XCTAssertEqual(try readError(ModelFile.Key.std, "0.3"),
                       "FILE: invalid normalisation: 2 means and 1 standard deviations for 2 channels")
    }

    func testSpecSizesAreComparedWithTheFileBeforeAllocating() throws {
        // The file holds 81 values. A spec asking for more fails at the first layer that passes
        // the file's count, before the next layer is built or any parameter buffer allocated.
        var huge = spec
        huge.layers[0] = .conv2d(filters: 65_536, kernel: 1, stride: 1, padding: .same, bias: true)
        XCTAssertEqual(try readError(ModelFile.Key.spec, huge.canonicalJSON()),
                       "FILE: small: layer 0 (conv2d): layers 0…0 hold 196608 values, more than the 81 available")
        var tooMany = spec
        tooMany.layers[0] = .conv2d(filters: 1 << 26, kernel: 1, stride: 1, padding: .same, bias: true)
        XCTAssertEqual(try readError(ModelFile.Key.spec, tooMany.canonicalJSON()),
                       "FILE: small: layer 0 (conv2d): 67108864 filters or units, expected at most 65536 (input shape [4, 4, 2])")
        var smaller = spec
        smaller.layers[0] = .conv2d(filters: 2, kernel: 3, stride: 1, padding: .same, bias: true)
        XCTAssertEqual(try readError(ModelFile.Key.spec, smaller.canonicalJSON()),
                       "FILE: the file holds 81 values, small needs 51 parameters + 4 statistics")
    }

    func testInputShapeMustBeAnImage() throws {
        XCTAssertEqual(try readError(ModelFile.Key.inputShape, "32,2"),
                       "FILE: metadata 'distill.input_shape' is [32, 2], expected [H, W, C]")
        XCTAssertEqual(try readError(ModelFile.Key.inputShape, "4,-4,2"),
                       "FILE: metadata 'distill.input_shape' is not a list of positive integers")
    }
}
