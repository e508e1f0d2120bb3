import Foundation
import XCTest
@testable import Core

/// `train` with `teacher.cache` as a user runs it: real coordinator and worker processes.
final class TeacherCacheCommandTests: XCTestCase {
    private var harness: ProcessHarness!

    /// A randomly initialised CNN teacher (convolutions and BatchNorm) for the built-in data.
    override func setUpWithError() throws {
        harness = ProcessHarness()
        let spec = try ModelSpec.load("seed-student")
        let parameters = ModelParameters(layout: try Network(spec: spec, inputShape: [32, 32, 3], classes: 10).layout)
        parameters.initialize(seed: 5)
        try ModelFile(spec: spec, inputShape: [32, 32, 3], classes: 10, normalization: .unit(channels: 3), role: "teacher",
                      parameters: parameters).write(to: harness.scratch + "/teacher.safetensors")
    }

    override func tearDown() { harness.cleanUp() }

    /// 130 images in batches of 40 (the last batch of an epoch holds 10), 3 shards, 2 views; no
    /// validation hold-out, so every one of the 130 images is trained on (the counts below rely on it).
    private func job(_ extra: [String]) -> [String] {
        (["data.train_size=130", "data.test_size=40", "train.batch_size=40", "train.shards=3", "train.epochs=5", "train.log_every=1", "data.validation=0",
          "model.spec=hinton-student", "seed=4", "augment.views=2", "teacher.checkpoint=\(harness.scratch)/teacher.safetensors"] + extra)
            .flatMap { ["--set", $0] }
    }

    /// Runs the coordinator to its exit; fails the test unless it exits with 0.
    @discardableResult
    private func train(_ label: String, _ extra: [String], arguments: [String] = []) throws -> (summary: TrainingSummary, output: String) {
        let out = harness.scratch + "/" + label
        let p = try harness.start("distill-coordinator", ["train", "--out", out] + arguments + job(extra), label: label)
        XCTAssertEqual(harness.wait(p, timeout: 300), 0, harness.output(label))
        return (try TrainingSummary.read(out + "/summary.json"), harness.output(label))
    }

    func testCachedRunsGiveTheUncachedBitsInOneProcessAndOnTwoWorkers() throws {
        let uncached = try train("uncached", [])
        XCTAssertNil(uncached.summary.teacherCache)
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.scratch + "/uncached/teacher.cache"))
        let cached = try train("cached", ["teacher.cache=true"])
        XCTAssertEqual(cached.summary.paramsSHA256, uncached.summary.paramsSHA256, "float32 logits: the cache changes no bit")
        XCTAssertEqual(cached.summary.teacherCache, TeacherCacheReport(hits: 3 * 130, stored: 2 * 130, corrupt: 0),
                       "epochs 0 and 1 store both views, epochs 2–4 use them")
        XCTAssertTrue(cached.output.contains("teacher cache \(harness.scratch)/cached/teacher.cache: 260 entries (130 samples × 2 views, 10 logits each)"),
                      cached.output)
        let workers = try train("workers", ["teacher.cache=true"], arguments: ["--local-workers", "2"])
        XCTAssertEqual(workers.summary.paramsSHA256, uncached.summary.paramsSHA256, "2 worker processes, logits over the wire")
        XCTAssertEqual(workers.summary.teacherCache, cached.summary.teacherCache)
        XCTAssertEqual(workers.summary.security?.rejectedResults, 0)
        // As many views as epochs never repeats a view: the same images as fresh augmentation.
        XCTAssertEqual(try train("fresh", ["augment.views=0"]).summary.paramsSHA256, try train("views5", ["augment.views=5"]).summary.paramsSHA256)
    }

    func testAStoppedRunResumesWithItsCacheAndRecomputesADamagedEntry() throws {
        let common = ["train.epochs=20", "checkpoint.every=1000"]
        let out = harness.scratch + "/stopped"
        let stopped = try harness.start("distill-coordinator", ["train", "--out", out] + job(common + ["teacher.cache=true"]), label: "stopped")
        XCTAssertTrue(harness.eventually(timeout: 120) { harness.output("stopped").contains("step     12") }, harness.output("stopped"))
        kill(stopped.processIdentifier, SIGTERM)
        XCTAssertEqual(harness.wait(stopped, timeout: 60), 0, harness.output("stopped"))
        let partial = try TrainingSummary.read(out + "/summary.json")
        XCTAssertFalse(partial.completed, "stopped before step 80")

        // Entry 0 (sample 0, view 0): its first float, after the header and 260 slots (4 KiB aligned).
        var bytes = try AtomicFile.read(out + "/teacher.cache")
        bytes[8192] ^= 0x01
        try AtomicFile.write(bytes, to: out + "/teacher.cache")
        let p = try harness.start("distill-coordinator", ["train", "--resume", out, "--local-workers", "2"], label: "resumed")
        XCTAssertEqual(harness.wait(p, timeout: 300), 0, harness.output("resumed"))
        XCTAssertTrue(harness.output("resumed").contains("teacher cache \(out)/teacher.cache: reusing 260 of 260 entries"), harness.output("resumed"))
        let resumed = try TrainingSummary.read(out + "/summary.json")
        XCTAssertTrue(resumed.completed)
        XCTAssertEqual(resumed.teacherCache?.corrupt, 1, "the damaged entry is detected once")
        XCTAssertGreaterThan(resumed.teacherCache?.stored ?? 0, 0, "and recomputed (with the rest of its shard)")
        let whole = try train("whole", common)
        XCTAssertEqual(resumed.paramsSHA256, whole.summary.paramsSHA256, "stopped, damaged, resumed on workers: the uncached bits")
    }
}
