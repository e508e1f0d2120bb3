import Foundation
import XCTest
@testable import Core

/// Watching real runs of `distill-coordinator train`: status.json and `status`, TensorBoard
/// files read back by TensorBoard itself, plain progress off a terminal, `plot`, and `/metrics`
/// scraped over a socket while a run goes on.
final class MonitoringCommandTests: XCTestCase {
    /// One short local-mode run (2 workers) shared by the tests that only read its folder.
    private static let shared = ProcessHarness()
    private static var localRun: (folder: String, output: String)?
    private var harness: ProcessHarness!

    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }
    override class func tearDown() { shared.cleanUp() }

    private static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    private func finishedLocalRun() throws -> (folder: String, output: String) {
        if let run = Self.localRun { return run }
        let folder = Self.shared.scratch + "/local"
        let p = try Self.shared.start("distill-coordinator", [
            "train", "--out", folder, "--local-workers", "2", "--set", "data.train_size=256", "--set", "data.test_size=64",
            "--set", "train.batch_size=32", "--set", "train.steps=12", "--set", "train.log_every=2", "--set", "train.eval_every=4",
            "--set", "model.spec=hinton-student",
        ], label: "local")
        XCTAssertEqual(Self.shared.wait(p, timeout: 600), 0, Self.shared.output("local"))
        Self.localRun = (folder, Self.shared.output("local"))
        return Self.localRun!
    }

    func testStatusOfAFinishedLocalRunListsBothWorkers() throws {
        let run = try finishedLocalRun()
        let status = try RunStatus.read(run.folder + "/status.json")
        XCTAssertEqual(status.state, .finished)
        XCTAssertEqual([status.step, status.steps], [12, 12])
        XCTAssertTrue(status.distributed)
        XCTAssertEqual(status.workers.map(\.name).sorted(), ["local-0", "local-1"])
        for worker in status.workers {
            XCTAssertGreaterThan(worker.shardsDone, 0, "\(worker)")
            XCTAssertNotNil(worker.meanShardSeconds)
        }
        XCTAssertEqual(status.evaluation?.step, 12)
        let p = try harness.start("distill-coordinator", ["status", run.folder], label: "status")
        XCTAssertEqual(harness.wait(p, timeout: 60), 0)
        let table = harness.output("status")
        XCTAssertTrue(table.contains("state          finished\n"), table)
        XCTAssertTrue(table.contains("step           12/12 (100.0%)"), table)
        XCTAssertTrue(table.contains("workers        2 connected, 0 results rejected"), table)
        XCTAssertEqual(table.split(separator: "\n").filter { $0.hasPrefix("local-") }.count, 2, table)
    }

    func testStatusOfAFolderWithoutStatusNamesTheFile() throws {
        let p = try harness.start("distill-coordinator", ["status", harness.scratch], label: "missing")
        XCTAssertEqual(harness.wait(p, timeout: 60), 1)
        XCTAssertEqual(harness.output("missing"), "error: cannot read the run status \(harness.scratch)/status.json: "
            + "no such file (is this a run folder, and has the run started?)\n")
    }

    func testOffATerminalProgressIsPlainLines() throws {
        let run = try finishedLocalRun()
        XCTAssertFalse(run.output.contains("\r"))
        for step in [2, 4, 6, 8, 10, 12] {
            XCTAssertTrue(run.output.contains(String(format: "step %6d  epoch", step)), run.output)
        }
    }

    func testTensorBoardReadsEveryScalarOfMetricsJSONL() throws {
        let run = try finishedLocalRun()
        let files = try FileManager.default.contentsOfDirectory(atPath: run.folder + "/tensorboard")
        XCTAssertEqual(files.count, 1)
        XCTAssertTrue(files[0].hasPrefix("events.out.tfevents."), files[0])
        let pyenv = try harness.start("/bin/bash", [Self.packageRoot + "/scripts/pyenv.sh", "tensorboard", "tensorboard"], label: "pyenv")
        guard harness.wait(pyenv, timeout: 900) == 0,
              let python = harness.output("pyenv").split(separator: "\n").last(where: { $0.hasSuffix("/bin/python") }) else {
            print("skipping: pip could not install tensorboard:\n\(harness.output("pyenv"))")
            throw XCTSkip("pip could not install tensorboard (see the printed output)")
        }
        let check = try harness.start(String(python), [Self.packageRoot + "/scripts/check-tensorboard.py", run.folder, "--workers", "2"],
                                      label: "check")
        XCTAssertEqual(harness.wait(check, timeout: 300), 0, harness.output("check"))
        let report = harness.output("check")
        for tag in ["loss/total", "loss/hard", "loss/soft", "accuracy/train", "accuracy/validation", "accuracy/test", "learning_rate",
                    "samples_per_second"] {
            XCTAssertTrue(report.contains("\(tag): "), report)
        }
        XCTAssertTrue(report.contains("loss/total: 6 values match"), report)
        // Validation at steps 4, 8 and 12; the test split once, at the end.
        XCTAssertTrue(report.contains("accuracy/validation: 3 values match"), report)
        XCTAssertTrue(report.contains("accuracy/test: 1 values match"), report)
        XCTAssertTrue(report.contains(", 0 mismatches"), report)
    }

    func testPlotOfTwoLabelledRuns() throws {
        let run = try finishedLocalRun()
        let out = harness.scratch + "/curves.svg"
        let p = try harness.start("distill-coordinator", ["plot", "first=\(run.folder)", run.folder, "--out", out], label: "plot")
        XCTAssertEqual(harness.wait(p, timeout: 60), 0, harness.output("plot"))
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 4)
        XCTAssertEqual(svg.components(separatedBy: "data-label=\"first\"").count - 1, 2)
        XCTAssertEqual(svg.components(separatedBy: "data-label=\"\(run.folder)\"").count - 1, 2)
    }

    func testMetricsAreScrapedOverASocketDuringARun() throws {
        let out = harness.scratch + "/scraped"
        let coordinator = try harness.start("distill-coordinator", [
            "train", "--out", out, "--metrics", "0", "--set", "data.train_size=512", "--set", "data.test_size=64",
            "--set", "train.batch_size=32", "--set", "train.steps=100000", "--set", "model.spec=hinton-student",
        ], label: "scraped")
        var port: Int?
        XCTAssertTrue(harness.eventually(timeout: 120) {
            port = harness.output("scraped").split(separator: "\n").first { $0.hasPrefix("metrics on http://127.0.0.1:") }
                .flatMap { Int($0.split(separator: ":").last!.split(separator: "/").first!) }
            return port != nil
        }, harness.output("scraped"))
        var body = ""
        // Poll until a scrape shows a completed step; no timing is asserted.
        XCTAssertTrue(harness.eventually(timeout: 300) {
            guard let answer = LoopbackHTTP.get(port!, "/metrics"), answer.hasPrefix("HTTP/1.1 200 OK\r\n"),
                  let split = answer.range(of: "\r\n\r\n") else { return false }
            body = String(answer[split.upperBound...])
            return !body.contains("distill_steps_total 0") && body.contains("distill_loss ")
        }, harness.output("scraped"))
        var values: [String: Double] = [:]
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            XCTAssertEqual(parts.count, 2, String(line))
            let value = Double(parts.last!)
            XCTAssertNotNil(value, String(line))
            values[String(parts.first!)] = value
        }
        XCTAssertGreaterThanOrEqual(values["distill_steps_total"] ?? 0, 1)
        XCTAssertEqual(values["distill_run_steps"], 100_000)
        XCTAssertEqual(values["distill_run_state{state=\"running\"}"], 1)
        XCTAssertEqual(values["distill_workers_connected"], 0)
        XCTAssertEqual(values["distill_learning_rate"] ?? 0, 0.003, accuracy: 1e-6)
        for name in ["distill_loss", "distill_train_accuracy_ratio", "distill_samples_per_second", "distill_eta_seconds", "distill_epoch",
                     "distill_rejected_results_total"] {
            XCTAssertNotNil(values[name], "\(name) missing from\n\(body)")
        }
        XCTAssertTrue(LoopbackHTTP.get(port!, "/")?.hasPrefix("HTTP/1.1 404 Not Found\r\n") ?? false)
        kill(coordinator.processIdentifier, SIGTERM)
        XCTAssertEqual(harness.wait(coordinator, timeout: 120), 0, harness.output("scraped"))
        XCTAssertEqual(try RunStatus.read(out + "/status.json").state, .stopped)
    }
}
