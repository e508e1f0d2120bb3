import Foundation
import XCTest
@testable import Core

/// `distill-coordinator train --local-workers N` as a user runs it: real processes, signals.
final class CoordinatorCommandTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    private func workerPIDs(of coordinator: Process) -> [Int32] {
        let children = (try? String(contentsOfFile: "/proc/\(coordinator.processIdentifier)/task/\(coordinator.processIdentifier)/children",
                                    encoding: .utf8)) ?? ""
        return children.split(separator: " ").compactMap { Int32($0) }
    }

    func testLocalModeMatchesSingleProcess() throws {
        let common = ["--set", "data.train_size=256", "--set", "data.test_size=64", "--set", "train.batch_size=32",
                      "--set", "train.steps=5", "--set", "train.shards=4", "--set", "model.spec=hinton-student"]
        let local = try harness.start("distill-coordinator", ["train", "--out", harness.scratch + "/local", "--local-workers", "2"] + common,
                                      label: "local")
        XCTAssertEqual(harness.wait(local, timeout: 120), 0, harness.output("local"))
        let single = try harness.start("distill-coordinator", ["train", "--out", harness.scratch + "/single"] + common, label: "single")
        XCTAssertEqual(harness.wait(single, timeout: 120), 0, harness.output("single"))
        let a = try TrainingSummary.read(harness.scratch + "/local/summary.json")
        let b = try TrainingSummary.read(harness.scratch + "/single/summary.json")
        XCTAssertEqual(a.paramsSHA256, b.paramsSHA256)
        let placement = CPUBinding.shares(workers: 2, of: CPUBinding.allowed()).map(LocalWorkers.placement).map { " " + $0 } ?? ""
        XCTAssertTrue(harness.output("local").contains("with 2 local workers\(placement)\n"), harness.output("local"))
        XCTAssertTrue(harness.output("local").contains("; 20 results read in shared memory"), harness.output("local"))
        XCTAssertEqual(sharedMemoryFolders(of: local.processIdentifier), [], "the run's shared memory is given back")

        let socket = try harness.start("distill-coordinator", ["train", "--out", harness.scratch + "/socket", "--local-workers", "2",
                                                               "--no-shared-memory", "--no-pin-workers"] + common, label: "socket")
        XCTAssertEqual(harness.wait(socket, timeout: 120), 0, harness.output("socket"))
        XCTAssertEqual(try TrainingSummary.read(harness.scratch + "/socket/summary.json").paramsSHA256, b.paramsSHA256)
        XCTAssertFalse(harness.output("socket").contains("shared memory"), harness.output("socket"))
        XCTAssertTrue(harness.output("socket").contains("with 2 local workers\n"), "not bound: \(harness.output("socket"))")
    }

    /// This user's shared-memory folders made by process `pid`.
    private func sharedMemoryFolders(of pid: Int32) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: PrivateFolder.sharedMemoryRoot)) ?? [])
            .filter { $0.hasPrefix("distill-shm-\(pid)-") }
    }

    /// A coordinator killed with SIGKILL cannot remove its shared memory; the next local-mode
    /// run on the machine does.
    func testSharedMemoryOfAKilledCoordinatorIsGivenBackByTheNextRun() throws {
        let killed = try harness.start("distill-coordinator", [
            "train", "--out", harness.scratch + "/killed", "--local-workers", "2", "--set", "data.train_size=512", "--set", "data.test_size=64",
            "--set", "train.batch_size=32", "--set", "train.steps=100000", "--set", "train.log_every=1", "--set", "model.spec=hinton-student",
        ], label: "killed")
        XCTAssertTrue(harness.eventually(timeout: 60) { harness.output("killed").contains("step      2") }, harness.output("killed"))
        let workers = workerPIDs(of: killed)
        XCTAssertEqual(sharedMemoryFolders(of: killed.processIdentifier).count, 1)
        kill(killed.processIdentifier, SIGKILL)
        for pid in workers { kill(pid, SIGKILL) }
        _ = harness.wait(killed, timeout: 10)
        XCTAssertEqual(sharedMemoryFolders(of: killed.processIdentifier).count, 1, "left behind by the kill")
        let next = try harness.start("distill-coordinator", [
            "train", "--out", harness.scratch + "/next", "--local-workers", "1", "--set", "data.train_size=64", "--set", "data.test_size=32",
            "--set", "train.batch_size=32", "--set", "train.steps=1", "--set", "model.spec=hinton-student",
        ], label: "next")
        XCTAssertEqual(harness.wait(next, timeout: 120), 0, harness.output("next"))
        XCTAssertEqual(sharedMemoryFolders(of: killed.processIdentifier), [], "given back by the next run")
    }

    func testSIGTERMStopsWorkersAndLeavesAConsistentFolder() throws {
        let out = harness.scratch + "/stopped"
        let coordinator = try harness.start("distill-coordinator", [
            "train", "--out", out, "--local-workers", "2", "--set", "data.train_size=512", "--set", "data.test_size=64",
            "--set", "train.batch_size=32", "--set", "train.steps=100000", "--set", "train.log_every=1", "--set", "model.spec=hinton-student",
        ], label: "stopped")
        XCTAssertTrue(harness.eventually(timeout: 60) { harness.output("stopped").contains("step      3") }, harness.output("stopped"))
        let workers = workerPIDs(of: coordinator)
        XCTAssertEqual(workers.count, 2)
        // Each worker, every thread of it, runs on its own share of the CPUs.
        if let shares = CPUBinding.shares(workers: 2, of: CPUBinding.allowed()) {
            let placed = workers.map { Set(harness.threadAffinities(of: $0)) }
            XCTAssertEqual(Set(placed), Set(shares.map { [CPUBinding.list($0)] }), "\(placed)")
        } else {
            print("CoordinatorCommandTests: \(CPUBinding.allowed().count) CPU here, so the local workers are not bound")
        }
        kill(coordinator.processIdentifier, SIGTERM)
        XCTAssertEqual(harness.wait(coordinator, timeout: 30), 0, harness.output("stopped"))
        for pid in workers { XCTAssertTrue(harness.eventually(timeout: 10) { kill(pid, 0) != 0 }, "worker \(pid) still alive") }
        let summary = try TrainingSummary.read(out + "/summary.json")
        XCTAssertFalse(summary.completed)
        XCTAssertGreaterThanOrEqual(summary.steps, 3)
        XCTAssertEqual(try ModelFile.read(out + "/teacher.safetensors").parameters.sha256(), summary.paramsSHA256)
        XCTAssertTrue(harness.output("stopped").contains("stopped early (received SIGTERM)"), harness.output("stopped"))
    }

    func testAuditAndDeadlineOptionsSayWhatToType() throws {
        let cases = [(["--audit-fraction", "2"], "--audit-fraction must be in [0, 1], e.g. 0.02"),
                     (["--audit-tolerance=-1"], "--audit-tolerance must be 0 or more, e.g. 1e-4"),
                     (["--shard-deadline-factor", "0.5"], "--shard-deadline-factor must be at least 1, e.g. 5")]
        for (i, (arguments, message)) in cases.enumerated() {
            let p = try harness.start("distill-coordinator", ["train", "--out", harness.scratch + "/never"] + arguments, label: "bad-\(i)")
            XCTAssertEqual(harness.wait(p, timeout: 30), 64, harness.output("bad-\(i)"))
            XCTAssertTrue(harness.output("bad-\(i)").contains(message), harness.output("bad-\(i)"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.scratch + "/never"))
    }
}
