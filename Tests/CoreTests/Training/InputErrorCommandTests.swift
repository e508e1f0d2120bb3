import Foundation
import XCTest
@testable import Core

/// `distill-coordinator train` (and `evaluate`) given configuration, spec and data values that used
/// to trap, be clamped or allocate what a file claims: each is one `error:` line naming the key, file
/// or layer and what is allowed, exit status 1, and nothing written (the `--out` folder is not created).
final class InputErrorCommandTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    /// Small built-in data, so that the runs that get as far as loading data stay quick.
    private let smallData = ["--set", "data.train_size=64", "--set", "data.test_size=16"]

    /// Runs `train` with `arguments` into a fresh `--out` folder and checks the refusal.
    private func assertRefused(_ arguments: [String], error expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let label = "run-\(UUID().uuidString.prefix(8))"
        let out = harness.scratch + "/" + label
        let p = try harness.start("distill-coordinator", ["train", "--out", out] + arguments, label: label)
        let status = harness.wait(p, timeout: 120)
        let output = harness.output(label)
        XCTAssertEqual(status, 1, output, file: file, line: line)
        XCTAssertTrue(output.contains("error: " + expected), "expected 'error: \(expected)' in:\n\(output)", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(out) was created", file: file, line: line)
    }

    private func write(_ text: String, to name: String) -> String {
        let path = harness.scratch + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func testConfigTrapsNameTheKeyAndTheAllowedRange() throws {
        try assertRefused(["--set", "augment.width_shift=1"],
                          error: "--set: augment.width_shift = '1' is invalid: expected a number in [0, 1)")
        let yaml = write("augment:\n  height_shift: 1\n", to: "shift.yaml")
        try assertRefused(["--config", yaml], error: "\(yaml): augment.height_shift = '1' is invalid: expected a number in [0, 1)")
        try assertRefused(["--set", "optimizer.name=sgd", "--set", "optimizer.nesterov=true", "--set", "optimizer.momentum=0"],
                          error: "--set: optimizer.momentum = '0.0' is invalid: expected a number in (0, 1) when optimizer.nesterov is true")
        try assertRefused(["--set", "augment.fill=constant", "--set", "augment.fill_value=300"],
                          error: "--set: augment.fill_value = '300' is invalid: expected an integer in 0…255")
        try assertRefused(["--set", "train.batch_size=0"], error: "--set: train.batch_size = '0' is invalid: expected an integer in 1…65536")
        try assertRefused(["--set", "train.batch_size=8", "--set", "train.shards=9"],
                          error: "--set: train.shards = '9' is invalid: expected at most train.batch_size (0: automatic)")
        try assertRefused(["--set", "eval.batch_size=0"], error: "--set: eval.batch_size = '0' is invalid: expected an integer in 1…65536")
        try assertRefused(["--set", "distill.temperature=0"],
                          error: "--set: distill.temperature = '0' is invalid: expected a number in [0.01, 1000]")
    }

    func testNegativeLeakyReLUAlphaInASpecNamesTheLayer() throws {
        let spec = write("""
            name: leaky
            layers:
              - {type: conv2d, filters: 4}
              - {type: leakyrelu, alpha: -0.2}
              - {type: globalavgpool}
              - {type: dense}
            """, to: "leaky.yaml")
        try assertRefused(smallData + ["--set", "model.spec=\(spec)"],
                          error: "model.spec=\(spec): layer 1 (leakyrelu): alpha is -0.2, expected a number ≥ 0 (input shape [32, 32, 4])")
    }

    func testDataFileTraps() throws {
        let f = DataSource.idxFiles
        let labels = [UInt8]([0, 0, 8, 1]) + bigEndian(3) + [4, 0, 9]
        let images = [UInt8]([0, 0, 8, 3]) + bigEndian(3) + bigEndian(2) + bigEndian(2) + [UInt8](repeating: 9, count: 12)
        /// A data folder whose training images are `trainImages` (gzip with `zeros` zero bytes appended).
        func folder(_ name: String, trainImages: [UInt8], zeros: Int = 0, trainLabels: [UInt8]? = nil) -> String {
            let dir = harness.scratch + "/" + name
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let scratch = ScratchDirectory()
            let gz = scratch.writeGzip("x.gz", trainImages, zeros: zeros)
            try? FileManager.default.copyItem(atPath: gz, toPath: dir + "/" + f.trainImages + ".gz")
            FileManager.default.createFile(atPath: dir + "/" + f.trainLabels, contents: Data(trainLabels ?? labels))
            FileManager.default.createFile(atPath: dir + "/" + f.testImages, contents: Data(images))
            FileManager.default.createFile(atPath: dir + "/" + f.testLabels, contents: Data(labels))
            return dir
        }
        let idx = ["--set", "data.source=idx"]
        let huge = folder("huge", trainImages: [0, 0, 8, 3] + bigEndian(1 << 20) + bigEndian(1 << 21) + bigEndian(1 << 21) + [1, 2, 3])
        try assertRefused(idx + ["--set", "data.path=\(huge)"],
                          error: "\(huge)/\(f.trainImages).gz: record 0 truncated at byte 19 (need 4,398,046,511,104 bytes per record)")
        let bomb = folder("bomb", trainImages: images, zeros: 64 << 20)
        try assertRefused(idx + ["--set", "data.path=\(bomb)"],
                          error: "\(bomb)/\(f.trainImages).gz: shape mismatch: more than 1048576 bytes after 3 records")
        let empty = folder("empty", trainImages: [0, 0, 8, 3] + bigEndian(0) + bigEndian(2) + bigEndian(2),
                           trainLabels: [0, 0, 8, 1] + bigEndian(0))
        try assertRefused(idx + ["--set", "data.path=\(empty)"], error: "\(empty): the training split holds no images")
    }

    func testTeacherFileTraps() throws {
        let spec = ModelSpec(name: "small-teacher", layers: [
            .conv2d(filters: 2, kernel: 3, stride: 1, padding: .same, bias: true), .relu, .globalAvgPool, .dense(units: nil, bias: true),
        ])
        let parameters = ModelParameters(layout: try Network(spec: spec, inputShape: [32, 32, 3], classes: 10).layout)
        parameters.initialize(seed: 3)
        func teacher(_ name: String, std: [Float], edit: (inout SafeTensors) -> Void = { _ in }) throws -> String {
            let path = harness.scratch + "/" + name
            try ModelFile(spec: spec, inputShape: [32, 32, 3], classes: 10, normalization: Normalization(mean: [0.5, 0.5, 0.5], std: std),
                          role: "teacher", parameters: parameters).write(to: path)
            var file = try SafeTensors.decode(try AtomicFile.read(path), source: path)
            edit(&file)
            try AtomicFile.write(file.encoded(), to: path)
            return path
        }
        let zeroStd = try teacher("zero-std.safetensors", std: [0.25, 0, 0.25])
        try assertRefused(smallData + ["--set", "teacher.checkpoint=\(zeroStd)"],
                          error: "\(zeroStd): invalid normalisation: std[1] = 0.0, expected a finite number > 0")
        let bigger = try teacher("bigger.safetensors", std: [0.25, 0.25, 0.25]) { file in
            var claimed = spec
            claimed.layers[0] = .conv2d(filters: 4096, kernel: 3, stride: 1, padding: .same, bias: true)
            file.metadata[ModelFile.Key.spec] = claimed.canonicalJSON()
        }
        try assertRefused(smallData + ["--set", "teacher.checkpoint=\(bigger)"],
                          error: "\(bigger): small-teacher: layer 0 (conv2d): layers 0…0 hold 114688 values, more than the 86 available")
        let truncated = harness.scratch + "/truncated.safetensors"
        try AtomicFile.write(Array(try AtomicFile.read(zeroStd).prefix(40)), to: truncated)
        try assertRefused(smallData + ["--set", "teacher.checkpoint=\(truncated)"], error: "\(truncated): truncated or corrupt: header length")
    }

    /// A model with fewer classes than the data's labels would index past its logits.
    func testEvaluateRefusesLabelsBeyondTheModelsClasses() throws {
        let spec = ModelSpec(name: "three-classes", layers: [.globalAvgPool, .dense(units: nil, bias: true)])
        let parameters = ModelParameters(layout: try Network(spec: spec, inputShape: [32, 32, 3], classes: 3).layout)
        let path = harness.scratch + "/three.safetensors"
        try ModelFile(spec: spec, inputShape: [32, 32, 3], classes: 3, normalization: .unit(channels: 3),
                      role: "student", parameters: parameters).write(to: path)
        let p = try harness.start("distill-coordinator", ["evaluate", "--model", path] + smallData, label: "evaluate")
        let status = harness.wait(p, timeout: 120)
        let output = harness.output("evaluate")
        XCTAssertEqual(status, 64, output)
        XCTAssertTrue(output.contains("Error: the model \(path) expects [32, 32, 3] images and 3 classes, but the data "
            + "(data.source=builtin from the defaults and --set) has labels up to "), output)
    }
}
