import Foundation
import XCTest
@testable import Core

/// `distill-coordinator train --resume DIR` as a user runs it.
final class ResumeCommandTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    /// Runs the coordinator with `arguments` to its exit; returns the status and the output.
    private func coordinator(_ arguments: [String], label: String) throws -> (status: Int32?, output: String) {
        let p = try harness.start("distill-coordinator", arguments, label: label)
        let status = harness.wait(p, timeout: 120)
        return (status, harness.output(label))
    }

    func testResumingAFinishedRunRefusingOverridesAndDamage() throws {
        let out = harness.scratch + "/run"
        let first = try coordinator(["train", "--out", out, "--set", "data.train_size=200", "--set", "data.test_size=50",
                                     "--set", "train.batch_size=32", "--set", "train.steps=4", "--set", "model.spec=hinton-student"],
                                    label: "first")
        XCTAssertEqual(first.status, 0, first.output)
        let finished = try folderSnapshot(out)
        XCTAssertNotNil(finished["checkpoint.safetensors"])

        let again = try coordinator(["train", "--resume", out], label: "again")
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.output.contains("nothing left to do: \(out) already holds all 4 steps"), again.output)
        XCTAssertEqual(try folderSnapshot(out), finished)

        let overridden = try coordinator(["train", "--resume", out, "--set", "seed=2"], label: "set")
        XCTAssertEqual(overridden.status, 64, overridden.output)
        XCTAssertTrue(overridden.output.contains("Error: --set cannot be used with --resume: the configuration is fixed by \(out)/config.yaml"),
                      overridden.output)
        let elsewhere = try coordinator(["train", "--resume", out, "--out", harness.scratch + "/other"], label: "other")
        XCTAssertEqual(elsewhere.status, 64, elsewhere.output)
        XCTAssertTrue(elsewhere.output.contains("Error: --out must be the --resume folder \(out) (a resumed run writes into its own folder); omit --out"),
                      elsewhere.output)
        let neither = try coordinator(["train"], label: "neither")
        XCTAssertEqual(neither.status, 64, neither.output)
        XCTAssertTrue(neither.output.contains("Error: --out needs a folder, e.g. --out runs/teacher (or --resume DIR to continue a run)"), neither.output)

        var bytes = try AtomicFile.read(out + "/checkpoint.safetensors")
        bytes[bytes.count - 1] ^= 0x01
        try AtomicFile.write(bytes, to: out + "/checkpoint.safetensors")
        let damaged = try folderSnapshot(out)
        let refused = try coordinator(["train", "--resume", out], label: "damaged")
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertTrue(refused.output.contains("error: \(out)/checkpoint.safetensors: corrupt checkpoint: payload_sha256 is"), refused.output)
        XCTAssertEqual(try folderSnapshot(out), damaged, "nothing written")
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.scratch + "/other"))
    }

    func testRunStoppedBySIGTERMResumesWithLocalWorkersToTheSameBits() throws {
        let common = ["--set", "data.train_size=200", "--set", "data.test_size=50", "--set", "train.batch_size=32",
                      "--set", "train.steps=60", "--set", "train.shards=2", "--set", "train.log_every=1",
                      "--set", "checkpoint.every=50", "--set", "model.spec=hinton-student"]
        let out = harness.scratch + "/stopped"
        let stopped = try harness.start("distill-coordinator", ["train", "--out", out] + common, label: "stopped")
        XCTAssertTrue(harness.eventually(timeout: 60) { harness.output("stopped").contains("step      3") }, harness.output("stopped"))
        kill(stopped.processIdentifier, SIGTERM)
        XCTAssertEqual(harness.wait(stopped, timeout: 30), 0, harness.output("stopped"))
        let partial = try TrainingSummary.read(out + "/summary.json")
        XCTAssertFalse(partial.completed, "stopped before step 60")
        XCTAssertEqual(partial.stoppedReason, .interrupted)
        XCTAssertEqual(try Checkpoint.read(out + "/checkpoint.safetensors").step, partial.steps)

        let resumed = try coordinator(["train", "--resume", out, "--local-workers", "2"], label: "resumed")
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.output.contains("resuming from \(out)/checkpoint.safetensors at step \(partial.steps)"), resumed.output)
        let whole = try coordinator(["train", "--out", harness.scratch + "/whole"] + common, label: "whole")
        XCTAssertEqual(whole.status, 0, whole.output)
        let a = try TrainingSummary.read(out + "/summary.json")
        let b = try TrainingSummary.read(harness.scratch + "/whole/summary.json")
        XCTAssertTrue(a.completed)
        XCTAssertEqual(a.stoppedReason, .completed)
        XCTAssertEqual(a.steps, 60)
        XCTAssertEqual(a.paramsSHA256, b.paramsSHA256, "stopped, resumed on workers: same bits as one uninterrupted run")
    }
}
