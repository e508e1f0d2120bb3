import Foundation
import XCTest
@testable import Core

/// `distill-worker` as a service and `distill-coordinator train --bind` as a scheduler runs
/// them: real processes on loopback TCP, a coordinator that appears late, ends, or is killed and
/// restarted with `--resume-if-exists`.
final class WorkerServiceTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    /// A short run on the built-in data with the demo student (6,362 parameters: quick steps).
    private func job(steps: Int, _ extra: [String] = []) -> [String] {
        ["--set", "data.train_size=256", "--set", "data.test_size=64", "--set", "train.batch_size=32", "--set", "train.steps=\(steps)",
         "--set", "model.spec=\(FuzzSeeds.repositoryRoot)/examples/demo-student.yaml", "--set", "train.log_every=1", "--set", "seed=4"]
            + extra.flatMap { ["--set", $0] }
    }

    /// A loopback TCP address nothing listens on now.
    private func freeAddress() throws -> String {
        let router = try ZMQSocket(context: ZMQContext(), kind: .router)
        try router.bind("tcp://127.0.0.1:0")
        return try router.lastEndpoint
    }

    private func coordinator(_ address: String, out: String, label: String, minWorkers: Int = 1, _ arguments: [String]) throws -> Process {
        try harness.start("distill-coordinator", ["train", "--out", out, "--bind", address, "--insecure", "--min-workers", String(minWorkers),
                                                  "--audit-fraction", "0"] + arguments, label: label)
    }

    private func worker(_ address: String, name: String, _ extra: [String] = ["--threads", "1"]) throws -> Process {
        try harness.start("distill-worker", ["--connect", address, "--insecure", "--name", name] + extra, label: name)
    }

    private func occurrences(_ text: String, in label: String) -> Int {
        harness.output(label).components(separatedBy: text).count - 1
    }

    private func summary(_ folder: String) throws -> TrainingSummary { try TrainingSummary.read(folder + "/summary.json") }

    /// A service worker started before any coordinator joins the first one when it appears, then
    /// serves a second run without restarting; a `--once` worker exits 0 after the first run.
    /// SIGTERM stops the service cleanly (130).
    func testServiceWorkerWaitsForTheCoordinatorAndServesTwoRuns() throws {
        let address = try freeAddress()
        let service = try worker(address, name: "service")
        XCTAssertTrue(harness.eventually(timeout: 30) { harness.output("service").contains("no coordinator answers at \(address)") },
                      harness.output("service"))
        let once = try worker(address, name: "once", ["--threads", "1", "--once"])
        let first = try coordinator(address, out: harness.scratch + "/first", label: "first", minWorkers: 2,
                                    job(steps: 3, ["train.shards=2"]))
        XCTAssertEqual(harness.wait(first, timeout: 180), 0, harness.output("first"))
        XCTAssertEqual(harness.wait(once, timeout: 30), 0, harness.output("once"))
        XCTAssertTrue(service.isRunning, harness.output("service"))

        let second = try coordinator(address, out: harness.scratch + "/second", label: "second", job(steps: 2, ["train.shards=1"]))
        XCTAssertEqual(harness.wait(second, timeout: 180), 0, harness.output("second"))
        XCTAssertEqual(try summary(harness.scratch + "/second").steps, 2)
        XCTAssertTrue(harness.eventually(timeout: 30) { occurrences("waiting for the next run", in: "service") == 2 }, harness.output("service"))
        XCTAssertEqual(occurrences("joined run", in: "service"), 2, harness.output("service"))
        XCTAssertLessThanOrEqual(occurrences("no coordinator answers", in: "service"), 2,
                                 "the wait is reported once before each run, not per retry: \(harness.output("service"))")
        XCTAssertEqual(occurrences("joined run", in: "once"), 1, harness.output("once"))
        kill(service.processIdentifier, SIGTERM)
        XCTAssertEqual(harness.wait(service, timeout: 30), 130, harness.output("service"))
    }

    /// With train.shards 0 the shards follow the workers' threads: one `--threads 2` worker and two
    /// one-thread workers both cut each batch into 2 shards and give the same parameters.
    func testTwoThreadWorkerMatchesTwoOneThreadWorkers() throws {
        let address = try freeAddress()
        let single = try worker(address, name: "double", ["--threads", "2", "--once"])
        let run = try coordinator(address, out: harness.scratch + "/threads", label: "threads", job(steps: 4))
        XCTAssertEqual(harness.wait(run, timeout: 180), 0, harness.output("threads"))
        XCTAssertEqual(harness.wait(single, timeout: 30), 0, harness.output("double"))
        XCTAssertTrue(harness.output("threads").contains("train.shards = 2: the compute threads of the first 1 worker (2)"),
                      harness.output("threads"))

        let other = try freeAddress()
        let pair = try (0..<2).map { try worker(other, name: "single-\($0)", ["--threads", "1", "--once"]) }
        let run2 = try coordinator(other, out: harness.scratch + "/workers", label: "workers", minWorkers: 2, job(steps: 4))
        XCTAssertEqual(harness.wait(run2, timeout: 180), 0, harness.output("workers"))
        for (i, p) in pair.enumerated() { XCTAssertEqual(harness.wait(p, timeout: 30), 0, harness.output("single-\(i)")) }
        XCTAssertTrue(harness.output("workers").contains("train.shards = 2: the compute threads of the first 2 workers (1 + 1)"),
                      harness.output("workers"))
        XCTAssertEqual(try RunConfig.load(path: harness.scratch + "/threads/config.yaml", overrides: []).int("train.shards"), 2)
        XCTAssertEqual(try summary(harness.scratch + "/threads").paramsSHA256, try summary(harness.scratch + "/workers").paramsSHA256)
    }

    /// More worker threads than shards: the coordinator says so once, naming the key to set.
    func testIdleThreadsAreReportedOnce() throws {
        let address = try freeAddress()
        let workers = try (0..<2).map { try worker(address, name: "idle-\($0)", ["--threads", "1", "--once"]) }
        let run = try coordinator(address, out: harness.scratch + "/idle", label: "idle", minWorkers: 2, job(steps: 3, ["train.shards=1"]))
        XCTAssertEqual(harness.wait(run, timeout: 180), 0, harness.output("idle"))
        for p in workers { _ = harness.wait(p, timeout: 30) }
        XCTAssertEqual(occurrences("each step has only 1 shard (train.shards): 1 of them idle", in: "idle"), 1, harness.output("idle"))
        XCTAssertTrue(harness.output("idle").contains("--set train.shards=2"), harness.output("idle"))
    }

    /// A coordinator killed mid-run (SIGKILL) and restarted with the same command and
    /// --resume-if-exists gets its still-running service workers back and finishes with the
    /// parameters of an uninterrupted run.
    func testKilledCoordinatorResumesWithItsWorkers() throws {
        let steps = 30
        let settings = job(steps: steps, ["train.shards=2", "checkpoint.every=2"])
        let reference = try harness.start("distill-coordinator", ["train", "--out", harness.scratch + "/reference"] + settings, label: "reference")
        XCTAssertEqual(harness.wait(reference, timeout: 180), 0, harness.output("reference"))

        let address = try freeAddress()
        let out = harness.scratch + "/restarted"
        let workers = try (0..<2).map { try worker(address, name: "fleet-\($0)") }
        let command = settings + ["--resume-if-exists"]
        let first = try coordinator(address, out: out, label: "before", minWorkers: 2, command)
        XCTAssertTrue(harness.eventually(timeout: 180) { FileManager.default.fileExists(atPath: out + "/checkpoint.safetensors") },
                      harness.output("before"))
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/summary.json"), "killed before the end: \(harness.output("before"))")

        let second = try coordinator(address, out: out, label: "after", minWorkers: 2, command)
        XCTAssertEqual(harness.wait(second, timeout: 180), 0, harness.output("after"))
        XCTAssertTrue(harness.output("after").contains("resuming from"), harness.output("after"))
        XCTAssertEqual(try summary(out).steps, steps)
        XCTAssertEqual(try summary(out).paramsSHA256, try summary(harness.scratch + "/reference").paramsSHA256)
        for (i, p) in workers.enumerated() {
            XCTAssertTrue(p.isRunning, harness.output("fleet-\(i)"))
            XCTAssertTrue(harness.output("after").contains("worker fleet-\(i) joined"), harness.output("after"))
            XCTAssertTrue(harness.output("fleet-\(i)").contains("left run"), harness.output("fleet-\(i)"))
            kill(p.processIdentifier, SIGTERM)
            XCTAssertEqual(harness.wait(p, timeout: 30), 130, harness.output("fleet-\(i)"))
        }
    }
}
