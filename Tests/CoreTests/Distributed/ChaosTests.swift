import Foundation
import XCTest
@testable import Core

/// A seeded schedule of SIGKILLs against real worker processes: the run must finish with no
/// lost or repeated step and exactly the parameters of an undisturbed single-process run.
final class ChaosTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    private let job = ["--set", "data.train_size=600", "--set", "data.test_size=64", "--set", "train.batch_size=48",
                       "--set", "train.steps=120", "--set", "train.shards=4", "--set", "model.spec=seed-student",
                       "--set", "train.log_every=1", "--set", "seed=3", "--set", "checkpoint.every=4"]

    /// Worker kills, then a SIGKILL of the coordinator itself and `train --resume` with fresh workers.
    func testWorkerAndCoordinatorKillsChangeNothing() throws {
        let reference = try harness.start("distill-coordinator", ["train", "--out", harness.scratch + "/reference"] + job, label: "reference")
        XCTAssertEqual(harness.wait(reference, timeout: 300), 0, harness.output("reference"))

        let out = harness.scratch + "/chaos"
        let coordinator = try harness.start("distill-coordinator", [
            "train", "--out", out, "--bind", "tcp://127.0.0.1:0", "--insecure", "--min-workers", "1", "--worker-timeout", "1",
        ] + job, label: "chaos")
        guard let first = harness.coordinatorEndpoint("chaos") else { return XCTFail(harness.output("chaos")) }
        var started = 0
        func startWorker(_ endpoint: String) throws -> Process {
            started += 1
            return try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", endpoint, "--insecure", "--name", "chaos-\(started)", "--coordinator-timeout", "30"],
                                     label: "worker-\(started)")
        }
        var workers = [try startWorker(first), try startWorker(first)]
        let schedule = KeyedRandom(seed: 2024)
        var kills = 0
        let deadline = MonotonicClock.now() + 240
        while coordinator.isRunning, kills < 5, MonotonicClock.now() < deadline {
            usleep(UInt32(300_000 + schedule.index(UInt64(2 * kills), below: 500_000)))
            guard coordinator.isRunning else { break }
            let victim = schedule.index(UInt64(2 * kills + 1), below: workers.count)
            kill(workers[victim].processIdentifier, SIGKILL)
            workers[victim].waitUntilExit()
            kills += 1
            workers[victim] = try startWorker(first)
        }
        // Kill the coordinator once it has checkpointed, then resume with new workers.
        XCTAssertTrue(harness.eventually(timeout: 120) { FileManager.default.fileExists(atPath: out + "/checkpoint.safetensors") })
        XCTAssertTrue(coordinator.isRunning, "the run must still be going when the coordinator is killed")
        kill(coordinator.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()
        for w in workers { kill(w.processIdentifier, SIGKILL); w.waitUntilExit() }
        let resumed = try harness.start("distill-coordinator", [
            "train", "--resume", out, "--bind", "tcp://127.0.0.1:0", "--insecure", "--min-workers", "1", "--worker-timeout", "1",
        ], label: "resumed")
        guard let second = harness.coordinatorEndpoint("resumed") else { return XCTFail(harness.output("resumed")) }
        workers = [try startWorker(second), try startWorker(second)]
        XCTAssertEqual(harness.wait(resumed, timeout: 240), 0, harness.output("resumed"))
        XCTAssertGreaterThanOrEqual(kills, 3, "the run ended before the schedule could kill enough workers")

        let a = try TrainingSummary.read(harness.scratch + "/reference/summary.json")
        let b = try TrainingSummary.read(out + "/summary.json")
        XCTAssertEqual(b.steps, 120)
        XCTAssertTrue(b.completed)
        XCTAssertEqual(b.paramsSHA256, a.paramsSHA256, "\(kills) worker SIGKILLs and a coordinator SIGKILL must not change a bit")
        let log = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        let steps = log.split(separator: "\n").filter { $0.contains(#""kind":"step""#) }.count
        XCTAssertEqual(steps, 120, "one metrics line per step: none lost, none repeated")
        print("chaos: \(kills) worker kills and 1 coordinator kill survived; coordinators said:\n"
            + (harness.output("chaos") + harness.output("resumed")).split(separator: "\n")
                .filter { $0.contains("silent for") || $0.contains("unreachable") || $0.contains("workers:") || $0.contains("resuming") }.joined(separator: "\n"))
    }
}
