import Foundation
import XCTest
@testable import Core
@testable import Interop

/// The same weights and images give the same logits in Distill, in PyTorch (the generated Python
/// file loading the exported safetensors) and in ONNX Runtime (the exported ONNX model), to 1e-5
/// relative (largest difference over the largest logit). Needs the Python environment of
/// ``InteropPython`` (skipped with the reason when pip cannot install it).
final class ExportParityTests: XCTestCase {
    private var harness: ProcessHarness!

    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    func testCNNsWithBatchNormAndPoolingGiveTheSameLogits() throws {
        try checkParity(InteropFixtures.cnn, inputShape: [16, 16, 3])
        try checkParity(InteropFixtures.pooled, inputShape: [12, 10, 3])
    }

    func testMLPPresetGivesTheSameLogits() throws {
        try checkParity(try ModelSpec.load("hinton-student"), inputShape: [28, 28, 1])
    }

    private func checkParity(_ spec: ModelSpec, inputShape: [Int]) throws {
        _ = try InteropPython.python()
        let dir = harness.scratch + "/" + spec.name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = try InteropFixtures.model(spec, inputShape: inputShape)
        try file.write(to: dir + "/student.safetensors")
        let count = 6
        let images = InteropFixtures.images(count: count, shape: inputShape)
        try AtomicFile.write(NPYWriter.uint8(images, shape: [count] + inputShape), to: dir + "/images.npy")
        let prediction = try Prediction(file: file, images: images, shape: [count] + inputShape, source: "images")
        try AtomicFile.write(prediction.npy, to: dir + "/logits.npy")

        for (format, out) in [("pytorch", "/model.safetensors"), ("onnx", "/model.onnx")] {
            let export = try harness.start("distill-coordinator", ["export", "--model", dir, "--format", format, "--out", dir + out],
                                           label: "export-\(spec.name)-\(format)")
            XCTAssertEqual(harness.wait(export, timeout: 120), 0, harness.output("export-\(spec.name)-\(format)"))
        }
        let (status, output) = try InteropPython.check(["compare", dir + "/model.py", dir + "/model.onnx", dir + "/images.npy", dir + "/logits.npy"])
        print("\(spec.name): \(output.split(separator: "\n").last ?? "")")
        XCTAssertEqual(status, 0, "\(spec.name): \(output)")
    }
}
