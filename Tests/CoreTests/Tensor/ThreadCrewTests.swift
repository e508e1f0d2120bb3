import Foundation
import XCTest
@testable import Core

/// ``ThreadCrew``: every part of every call runs exactly once, on the right call's work, whether
/// the helpers are spinning, asleep or stopped.
final class ThreadCrewTests: XCTestCase {
    /// Counts how often each part of the current call ran, and which call it believed it was in.
    private final class Tally: CrewJob, @unchecked Sendable {
        private let lock = NSLock()
        private var runs: [Int]
        /// The call under way, set by the caller before each call.
        var call = 0
        private(set) var partsInAnotherCall = 0
        private var callSeen: [Int]

        init(parts: Int) {
            runs = [Int](repeating: 0, count: parts)
            callSeen = runs
        }

        func run(part: Int) {
            lock.lock()
            runs[part] += 1
            callSeen[part] = call
            lock.unlock()
        }

        /// The run counts of the call that just ended, reset for the next one.
        func takeRuns(call: Int) -> [Int] {
            lock.lock()
            defer { lock.unlock() }
            for (p, seen) in callSeen.enumerated() where runs[p] > 0 && seen != call { partsInAnotherCall += 1 }
            defer { runs = runs.map { _ in 0 } }
            return runs
        }
    }

    /// Many calls in quick succession, with part counts that change from call to call: a helper
    /// that wakes late must never take a part of a later call, and none may be lost or repeated.
    func testEveryPartOfEveryCallRunsExactlyOnce() {
        let crew = ThreadCrew(helpers: 3, name: "test-crew")
        let tally = Tally(parts: 7)
        for call in 1...20_000 {
            let parts = 2 + call % 6
            tally.call = call
            crew.run(parts: parts, job: tally)
            let runs = tally.takeRuns(call: call)
            let expected = (0..<7).map { $0 < parts ? 1 : 0 }
            guard runs == expected else { return XCTFail("call \(call) of \(parts) parts ran \(runs)") }
        }
        XCTAssertEqual(tally.partsInAnotherCall, 0)
    }

    /// Calls spaced further apart than the spin, so the helpers are asleep when each one starts,
    /// still finish with every part run once and the writes of every part visible to the caller.
    func testSleepingHelpersWakeForTheNextCall() {
        let crew = ThreadCrew(helpers: 1, name: "test-crew")
        var written = [Int](repeating: 0, count: 2)
        for call in 1...20 {
            usleep(useconds_t(ThreadCrew.spinSeconds * 3e6))
            written.withUnsafeMutableBufferPointer { w in
                crew.run(parts: 2) { part in w[part] = call * 10 + part }
            }
            XCTAssertEqual(written, [call * 10, call * 10 + 1])
        }
    }

    /// The calling thread's kernel id, from /proc/thread-self.
    private static func threadID() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"))?.split(separator: "/").last.map(String.init) ?? ""
    }

    /// The helper threads end once the last owner of the crew lets go of it, not before.
    func testTheThreadsEndWithTheLastOwner() throws {
        var crew: ThreadCrew? = ThreadCrew(helpers: 1, name: "crew-end")
        var shared: ElementwiseParallelism? = ElementwiseParallelism(sharing: crew, threads: 2)
        crew = nil
        let caller = Self.threadID()
        var helper: String?
        let lock = NSLock()
        // Parts long enough for the helper to take one (each call's parts may all run on the caller).
        for _ in 0..<100 where helper == nil {
            shared!.forEachRange(count: ElementwiseParallelism.minimumCount * 2) { _ in
                let id = Self.threadID(), started = MonotonicClock.now()
                while MonotonicClock.now() - started < 2e-3 {}
                lock.lock()
                if id != caller { helper = id }
                lock.unlock()
            }
        }
        let tid = try XCTUnwrap(helper, "the helper thread took no part in 100 calls")
        let task = "/proc/self/task/\(tid)"
        usleep(useconds_t(ThreadCrew.spinSeconds * 3e6))
        XCTAssertTrue(FileManager.default.fileExists(atPath: task), "the shared parallelism still holds the crew")
        shared = nil
        for _ in 0..<2000 where FileManager.default.fileExists(atPath: task) { usleep(1000) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: task), "helper thread \(tid) still runs")
    }

    /// A pool's element-wise passes count the pool's threads, and keep working (the crew they
    /// share stays alive) once the pool is gone.
    func testAPoolsElementwisePassesOutliveThePool() throws {
        let config = try RunConfig.load(path: nil, overrides: ["data.train_size=64", "data.test_size=16", "model.spec=hinton-student"])
        let setup = try TrainingSetup(config: config, parallelism: 2)
        var pool: LocalShardPool? = LocalShardPool(executors: try (0..<2).map { _ in try setup.makeExecutor() })
        let elementwise = pool!.elementwise
        pool = nil
        XCTAssertEqual(elementwise.threads, 2)
        var values = [Float](repeating: 0, count: ElementwiseParallelism.minimumCount * 3 + 5)
        for round in 1...20 {
            values.withUnsafeMutableBufferPointer { v in
                elementwise.forEachRange(count: v.count) { range in for i in range { v[i] += 1 } }
            }
            XCTAssertTrue(values.allSatisfy { $0 == Float(round) }, "round \(round)")
        }
    }
}
