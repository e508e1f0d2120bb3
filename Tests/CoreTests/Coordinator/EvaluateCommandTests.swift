import Foundation
import XCTest
@testable import Core

/// `distill-coordinator evaluate --model RUN`: the run's data by default, the report, and the
/// message when model and data do not fit.
final class EvaluateCommandTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    /// The JSON report `evaluate` prints last.
    private func report(_ out: String) throws -> EvaluationReport {
        let last = try XCTUnwrap(out.split(separator: "\n").last)
        return try RunRecordJSON.decoder().decode(EvaluationReport.self, from: Data(last.utf8))
    }

    func testReadsTheRunsConfigurationAndReportsPerClass() throws {
        let spec = harness.scratch + "/tiny.yaml"
        try "name: tiny\nlayers:\n  - {type: avgpool2d, size: 4}\n  - {type: flatten}\n  - {type: dense}\n"
            .write(toFile: spec, atomically: true, encoding: .utf8)
        let run = harness.scratch + "/run"
        let trained = try harness.run("distill-coordinator", ["train", "--out", run, "--set", "data.train_size=64", "--set", "data.test_size=40",
                                       "--set", "train.steps=2", "--set", "train.batch_size=16", "--set", "model.spec=\(spec)"], label: "train")
        XCTAssertEqual(trained.status, 0, trained.out + trained.err)

        let json = harness.scratch + "/report.json"
        let evaluated = try harness.run("distill-coordinator", ["evaluate", "--model", run, "--json", json, "--threads", "1"], label: "evaluate")
        XCTAssertEqual(evaluated.status, 0, evaluated.out + evaluated.err)
        let printed = try report(evaluated.out)
        XCTAssertEqual(printed.count, 40, "data.test_size of \(run)/config.yaml, not the default 4000")
        XCTAssertEqual(printed.data, "data.source=builtin from \(run)/config.yaml")
        XCTAssertEqual(printed.testAccuracy, try TrainingSummary.read(run + "/summary.json").testAccuracy)
        XCTAssertEqual(try RunRecordJSON.decoder().decode(EvaluationReport.self, from: Data(contentsOf: URL(fileURLWithPath: json))), printed)
        XCTAssertEqual(printed.confusionMatrix.count, 10)
        XCTAssertEqual(printed.confusionMatrix.joined().reduce(0, +), 40)
        let correct = (0..<10).map { printed.confusionMatrix[$0][$0] }.reduce(0, +)
        XCTAssertEqual(Double(correct) / 40, printed.testAccuracy)
        for (label, accuracy) in printed.perClassAccuracy.enumerated() {
            let images = printed.confusionMatrix[label].reduce(0, +)
            XCTAssertEqual(accuracy, images == 0 ? nil : Double(printed.confusionMatrix[label][label]) / Double(images))
        }
        XCTAssertTrue(evaluated.out.contains("class   images   accuracy\n"), evaluated.out)
        XCTAssertTrue(evaluated.out.contains("rows: true class, columns: predicted class\n"), evaluated.out)

        let overridden = try harness.run("distill-coordinator", ["evaluate", "--model", run, "--set", "data.test_size=24"], label: "set")
        XCTAssertEqual(try report(overridden.out).count, 24, overridden.err)
        let config = harness.scratch + "/other.yaml"
        try "data:\n  test_size: 12\n".write(toFile: config, atomically: true, encoding: .utf8)
        let replaced = try harness.run("distill-coordinator", ["evaluate", "--model", run, "--config", config], label: "config")
        XCTAssertEqual(try report(replaced.out).count, 12, replaced.err)
        XCTAssertEqual(try report(replaced.out).data, "data.source=builtin from --config \(config)")
    }

    /// A Fashion-MNIST-shaped model evaluated without its configuration: the message names the
    /// model and the data and says what to pass.
    func testMismatchNamesModelAndDataAndWhatToPass() throws {
        let spec = ModelSpec(name: "grey", layers: [.flatten, .dense(units: nil, bias: true)])
        let parameters = ModelParameters(layout: try Network(spec: spec, inputShape: [28, 28, 1], classes: 10).layout)
        let path = harness.scratch + "/grey.safetensors"
        try ModelFile(spec: spec, inputShape: [28, 28, 1], classes: 10, normalization: .unit(channels: 1),
                      role: "student", parameters: parameters).write(to: path)
        let result = try harness.run("distill-coordinator", ["evaluate", "--model", path, "--set", "data.test_size=8"], label: "mismatch")
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.err.hasPrefix("Error: the model \(path) expects [28, 28, 1] images and 10 classes, but the data "
            + "(data.source=builtin from the defaults and --set) has [32, 32, 3] images: pass the model's run folder "
            + "(--model RUNDIR reads RUNDIR/config.yaml) or the configuration it was trained with (--config FILE)\n"), result.err)
    }
}
