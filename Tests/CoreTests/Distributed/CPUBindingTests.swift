import Foundation
import XCTest
@testable import Core

/// `--cpus` lists, local mode's shares of the CPUs, and real `distill-worker` processes bound
/// (every thread, as /proc shows it) or refused.
final class CPUBindingTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    func testListsParseAsTasksetWritesThem() throws {
        XCTAssertEqual(try CPUBinding.parse("0"), [0])
        XCTAssertEqual(try CPUBinding.parse("0,2,4-7"), [0, 2, 4, 5, 6, 7])
        XCTAssertEqual(try CPUBinding.parse("3,1,1-2,3"), [1, 2, 3], "sorted, without repeats")
        XCTAssertEqual(try CPUBinding.parse("8191"), [8191])
        for bad in ["", "a", "1-", "-1", "3-1", "0,,1", "0,", "8192", "1 2", "0x1", "+1", "1-2-3", "\u{0663}", "99999999999999999999"] {
            XCTAssertThrowsError(try CPUBinding.parse(bad, option: "--cpus"), "'\(bad)'") { error in
                guard case CPUBindingError.invalidList(option: "--cpus", text: bad, _) = error else {
                    return XCTFail("'\(bad)': \(error)")
                }
                XCTAssertTrue("\(error)".hasPrefix("--cpus \(bad): "), "\(error)")
            }
        }
    }

    func testListsAreWrittenWithRangesAndReadBack() throws {
        XCTAssertEqual(CPUBinding.list([0, 1, 2, 3, 6]), "0-3,6")
        XCTAssertEqual(CPUBinding.list([0, 1]), "0,1")
        XCTAssertEqual(CPUBinding.list([5]), "5")
        XCTAssertEqual(CPUBinding.list([0, 2, 3, 4, 8, 9]), "0,2-4,8,9")
        for cpus in [[0], [0, 1], [1, 3, 4, 5, 6, 100], Array(0..<64)] {
            XCTAssertEqual(try CPUBinding.parse(CPUBinding.list(cpus)), cpus)
        }
    }

    func testWorkersGetDisjointSharesCoveringTheCPUsOnlyWhenEachCanHaveOne() {
        XCTAssertEqual(CPUBinding.shares(workers: 2, of: [0, 1]), [[0], [1]])
        XCTAssertEqual(CPUBinding.shares(workers: 2, of: [4, 5, 6, 7, 9]), [[4, 5], [6, 7, 9]])
        XCTAssertEqual(CPUBinding.shares(workers: 3, of: [0, 1, 2, 3, 4, 5, 6, 7]), [[0, 1], [2, 3, 4], [5, 6, 7]])
        XCTAssertNil(CPUBinding.shares(workers: 1, of: [0, 1]), "one worker: nothing to separate")
        XCTAssertNil(CPUBinding.shares(workers: 3, of: [0, 1]), "oversubscribed: the scheduler spreads them")
        XCTAssertNil(CPUBinding.shares(workers: 2, of: []))
    }

    func testTheAllowedCPUsAreTheKernelsAffinityList() throws {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        let list = line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
        XCTAssertEqual(CPUBinding.allowed(), try CPUBinding.parse(list))
    }

    /// A worker started with `--cpus` runs every one of its threads (main, OpenBLAS's, ZeroMQ's)
    /// on that CPU only.
    func testAWorkerBindsEveryThreadToItsCPUs() throws {
        let cpu = try XCTUnwrap(CPUBinding.allowed().last)
        let folder = try PrivateFolder()
        let worker = try harness.start("distill-worker", ["--once", "--connect", folder.endpoint(), "--insecure", "--name", "bound",
                                                          "--coordinator-timeout", "30", "--cpus", String(cpu)], label: "bound")
        defer { kill(worker.processIdentifier, SIGKILL) }
        var lists: [String] = []
        // ZeroMQ's I/O threads exist once the socket is connecting.
        XCTAssertTrue(harness.eventually(timeout: 20) {
            lists = harness.threadAffinities(of: worker.processIdentifier)
            return lists.count >= 3
        }, "threads: \(lists); \(harness.output("bound"))")
        XCTAssertEqual(Set(lists), [String(cpu)], "every thread on CPU \(cpu): \(lists)")
    }

    func testAWorkerRefusesCPUsItMayNotUse() throws {
        let allowed = CPUBinding.allowed()
        let outside = (0...).first { !allowed.contains($0) }!
        let folder = try PrivateFolder()
        let (status, _, err) = try harness.run("distill-worker", ["--once", "--connect", folder.endpoint(), "--insecure",
                                                                  "--cpus", "\(allowed[0]),\(outside)"], label: "refused")
        XCTAssertEqual(status, 64, err)
        XCTAssertTrue(err.contains("--cpus: CPU \(outside) is not among the CPUs this process may use (\(CPUBinding.list(allowed)))"), err)
        let (badStatus, _, badErr) = try harness.run("distill-worker", ["--once", "--connect", folder.endpoint(), "--insecure",
                                                                        "--cpus", "2-1"], label: "backwards")
        XCTAssertEqual(badStatus, 64, badErr)
        XCTAssertTrue(badErr.contains("--cpus 2-1: the range 2-1 runs backwards"), badErr)
    }

    /// Local mode hands each worker its share with `--cpus` (read back from the command lines of
    /// stand-in workers), and none when asked not to or when there are more workers than CPUs.
    func testLocalWorkersAreStartedWithTheirShares() throws {
        let script = "\(harness.scratch)/record-arguments.sh"
        try "#!/bin/sh\necho \"$@\" > \"\(harness.scratch)/args.$$\"\n".write(toFile: script, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(script, 0o755), 0)
        let allowed = CPUBinding.allowed()
        func arguments(workers: Int, bind: Bool) throws -> (lines: [String], cpus: [[Int]]?) {
            for file in try FileManager.default.contentsOfDirectory(atPath: harness.scratch) where file.hasPrefix("args.") {
                try FileManager.default.removeItem(atPath: "\(harness.scratch)/\(file)")
            }
            let workers = try LocalWorkers(count: workers, endpoint: "ipc:///nowhere", bindToCPUs: bind, executable: script)
            workers.stop(grace: 10)
            let files = try FileManager.default.contentsOfDirectory(atPath: harness.scratch).filter { $0.hasPrefix("args.") }
            let lines = try files.map { try String(contentsOfFile: "\(harness.scratch)/\($0)", encoding: .utf8) }
            return (lines.sorted(), workers.cpus)
        }
        let two = try arguments(workers: 2, bind: true)
        XCTAssertEqual(two.lines.count, 2)
        if let shares = CPUBinding.shares(workers: 2, of: allowed) {
            XCTAssertEqual(two.cpus, shares)
            for (i, share) in shares.enumerated() {
                XCTAssertTrue(two.lines.contains { $0.contains("--name local-\(i) ") && $0.contains("--cpus \(CPUBinding.list(share))") },
                              "\(two.lines)")
            }
        } else {
            print("CPUBindingTests: \(allowed.count) CPU here, so two local workers are not bound; checking that no --cpus is passed")
            XCTAssertNil(two.cpus)
            XCTAssertFalse(two.lines.contains { $0.contains("--cpus") }, "\(two.lines)")
        }
        let unbound = try arguments(workers: 2, bind: false)
        XCTAssertNil(unbound.cpus)
        XCTAssertFalse(unbound.lines.contains { $0.contains("--cpus") }, "\(unbound.lines)")
        let crowded = try arguments(workers: allowed.count + 1, bind: true)
        XCTAssertNil(crowded.cpus)
        XCTAssertEqual(crowded.lines.count, allowed.count + 1)
        XCTAssertFalse(crowded.lines.contains { $0.contains("--cpus") }, "\(crowded.lines)")
    }
}
