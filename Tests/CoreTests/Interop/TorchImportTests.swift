import Foundation
import XCTest
@testable import Core
@testable import Interop

/// A CNN built and initialised in PyTorch, exported by `torch.onnx.export` (and saved as a state
/// dict), imported by `distill-coordinator import`, gives PyTorch's logits to 1e-5 relative and
/// serves as the teacher of a short distillation run. The exporter folds each convolution's
/// BatchNorm into it; the BatchNorm after the first linear layer stays a BatchNormalization node.
/// Needs ``InteropPython``.
final class TorchImportTests: XCTestCase {
    private var harness: ProcessHarness!

    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    /// The layers of `interop_check.py torch-cnn`, as a Distill spec (PyTorch's BatchNorm: eps 1e-5, momentum 0.1).
    private let torchSpec = """
        name: torch-cnn
        layers:
          - {type: conv2d, filters: 8, kernel: 3, padding: same}
          - {type: batchnorm, epsilon: 0.00001, momentum: 0.9}
          - {type: relu}
          - {type: maxpool2d, size: 2}
          - {type: conv2d, filters: 12, kernel: 3, padding: same, bias: false}
          - {type: batchnorm, epsilon: 0.00001, momentum: 0.9}
          - {type: leakyrelu, alpha: 0.1}
          - {type: avgpool2d, size: 2}
          - {type: dropout, rate: 0.25}
          - {type: flatten}
          - {type: dense, units: 32}
          - {type: batchnorm, epsilon: 0.00001, momentum: 0.9}
          - {type: relu}
          - {type: dense, units: 10}
        """

    func testPyTorchCNNThroughONNXAndStateDictGivesTheSameLogitsAndDistils() throws {
        let dir = harness.scratch
        let (status, output) = try InteropPython.check(["torch-cnn", dir])
        XCTAssertEqual(status, 0, output)
        guard status == 0 else { return }
        let torchLogits = try NPYArray(path: dir + "/torch_logits.npy")
        let expected = (0..<torchLogits.count).map { Float(torchLogits.double(at: $0)) }

        try run(["import", "--from", dir + "/model.onnx", "--format", "onnx", "--out", dir + "/from-onnx"], "import-onnx")
        try AtomicFile.write(Array(torchSpec.utf8), to: dir + "/spec.yaml")
        try run(["import", "--from", dir + "/state.safetensors", "--format", "pytorch", "--spec", dir + "/spec.yaml",
                 "--input-shape", "3,32,32", "--mean", "0.49,0.48,0.45", "--std", "0.25,0.24,0.26", "--out", dir + "/from-state"], "import-state")
        for run in ["from-onnx", "from-state"] {
            try self.run(["predict", "--model", dir + "/" + run, "--input", dir + "/images.npy", "--output", dir + "/\(run).npy"], "predict-\(run)")
            let logits = try NPYArray(path: dir + "/\(run).npy")
            XCTAssertEqual(logits.shape, [8, 10])
            let difference = InteropFixtures.relativeDifference((0..<logits.count).map { Float(logits.double(at: $0)) }, expected)
            print("\(run): largest difference to PyTorch's logits \(difference) of the largest logit")
            XCTAssertLessThanOrEqual(difference, 1e-5, run)
        }

        try AtomicFile.write(Array("name: tiny\nlayers:\n  - {type: flatten}\n  - {type: dense}\n".utf8), to: dir + "/student.yaml")
        try run(["train", "--out", dir + "/student", "--set", "model.spec=\(dir)/student.yaml", "--set", "teacher.checkpoint=\(dir)/from-onnx",
                 "--set", "train.steps=3", "--set", "data.train_size=64", "--set", "data.test_size=32", "--set", "train.batch_size=16"], "distil")
        let summary = try TrainingSummary.read(dir + "/student/summary.json")
        XCTAssertEqual(summary.steps, 3)
        XCTAssertNotNil(summary.teacherTestAccuracy)
    }

    private func run(_ arguments: [String], _ label: String) throws {
        let p = try harness.start("distill-coordinator", arguments, label: label)
        XCTAssertEqual(harness.wait(p, timeout: 300), 0, harness.output(label))
    }
}
