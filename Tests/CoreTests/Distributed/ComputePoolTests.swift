import Foundation
import XCTest
@testable import Core

/// A worker's compute threads taking tasks sent ahead of their parameters: the teacher runs at
/// once, the student waits for exactly its version, other work goes on meanwhile, and every
/// order that cannot be right is a failure with a reason, never a hang or a wrong version.
final class ComputePoolTests: XCTestCase {
    /// A 2×2×3, 10-class run distilled from a small dense teacher.
    private let teacherSpec = ModelSpec(name: "t", layers: [.flatten, .dense(units: 16, bias: true), .relu, .dense(units: nil, bias: true)])
    private lazy var run = sampleRun(runID: 7, teacher: teacherSpec)

    /// The welcome of that run, with the teacher's weights multiplied by `teacherScale`.
    private func welcome(teacherScale: Float = 1) throws -> WelcomePayload {
        let network = try Network(spec: teacherSpec, inputShape: run.inputShape, classes: run.classes)
        let teacher = ModelParameters(layout: network.layout)
        teacher.initialize(seed: 21)
        return WelcomePayload(run: run, teacherParameters: FloatArray(teacher.values[0..<network.layout.parameterCount].map { $0 * teacherScale }),
                              teacherState: FloatArray(Array(teacher.state[0..<network.layout.stateCount])))
    }

    /// Student parameters of version `version` (130 values, different for each version).
    private func parameters(_ version: UInt64) -> ComputePool.Item {
        .parameters(ParametersPayload(version: version, parameters: FloatValues((0..<130).map { Float(($0 * 7 + Int(version) * 3) % 23) * 0.01 - 0.1 }),
                                      state: []))
    }

    /// A task of one shard of 3 samples for `step` at `version`.
    private func task(step: UInt64, version: UInt64, returnsLogits: Bool = false) -> ComputePool.Item {
        var shard = ShardTask(shardIndex: 0, sampleOffset: Int(step) * 3, count: 3, height: 2, width: 2, channels: 3,
                              images: (0..<36).map { UInt8(($0 * 37 + Int(step) * 11) % 256) }, labels: [1, 4, 9])
        shard.returnsTeacherLogits = returnsLogits
        return .task(TaskPayload(step: step, parameterVersion: version, epoch: 0, shards: [shard]))
    }

    /// Feeds `items` to a fresh pool of `threads` threads (waiting `pause` seconds after each
    /// `nil`) until `expected` results are in or a failure is reported.
    private func outcome(_ items: [ComputePool.Item?], threads: Int = 1, teacherScale: Float = 1, expected: Int) throws
        -> (results: [ComputedShard], failure: String?) {
        let pool = try ComputePool(welcome: try welcome(teacherScale: teacherScale), threads: threads, wakeup: try WakeupPipe())
        defer { pool.finish() }
        for item in items {
            if let item { pool.enqueue(item) } else { usleep(100_000) }
        }
        var results: [ComputedShard] = []
        let deadline = MonotonicClock.now() + 30
        while results.count < expected, pool.failure == nil, MonotonicClock.now() < deadline {
            results += pool.takeResults()
            usleep(1000)
        }
        return (results, pool.failure)
    }

    private func assertSameBits(_ a: ComputedShard, _ b: ComputedShard, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.step, b.step, file: file, line: line)
        XCTAssertEqual(a.version, b.version, file: file, line: line)
        XCTAssertEqual(a.result.loss.total.bitPattern, b.result.loss.total.bitPattern, file: file, line: line)
        XCTAssertEqual(a.result.loss.soft.bitPattern, b.result.loss.soft.bitPattern, file: file, line: line)
        XCTAssertEqual(a.result.loss.count, b.result.loss.count, file: file, line: line)
        XCTAssertEqual(a.result.gradients.withUnsafeBufferPointer { $0.map(\.bitPattern) },
                       b.result.gradients.withUnsafeBufferPointer { $0.map(\.bitPattern) }, file: file, line: line)
        XCTAssertEqual(a.result.teacherLogits.map(\.bitPattern), b.result.teacherLogits.map(\.bitPattern), file: file, line: line)
    }

    func testTaskAheadOfItsParametersGivesTheBitsOfATaskAfterThem() throws {
        for returnsLogits in [false, true] {
            let inOrder = try outcome([parameters(1), task(step: 1, version: 1, returnsLogits: returnsLogits)], expected: 1)
            // The task waits (parked after its teacher ran) until its parameters come.
            let ahead = try outcome([parameters(0), task(step: 1, version: 1, returnsLogits: returnsLogits), nil, parameters(1)], expected: 1)
            XCTAssertNil(inOrder.failure)
            XCTAssertNil(ahead.failure)
            XCTAssertEqual(ahead.results.count, 1)
            assertSameBits(try XCTUnwrap(ahead.results.first), try XCTUnwrap(inOrder.results.first))
            XCTAssertEqual(ahead.results.first?.result.teacherLogits.count, returnsLogits ? 30 : 0)
        }
    }

    func testATeacherThatOverflowsGivesTheSameResultAheadAsInOrder() throws {
        // Finite weights of 1e30 overflow the teacher's logits: computed ahead, they are this
        // worker's own, so the shard is computed (a non-finite loss the coordinator rejects), not
        // refused as if the coordinator had sent them.
        let inOrder = try outcome([parameters(1), task(step: 1, version: 1)], teacherScale: 1e30, expected: 1)
        let ahead = try outcome([parameters(0), task(step: 1, version: 1), nil, parameters(1)], teacherScale: 1e30, expected: 1)
        XCTAssertNil(inOrder.failure)
        XCTAssertNil(ahead.failure)
        let result = try XCTUnwrap(ahead.results.first)
        XCTAssertFalse(result.result.loss.total.isFinite)
        assertSameBits(result, try XCTUnwrap(inOrder.results.first))
    }

    func testAParkedTaskDoesNotHoldUpWorkAtTheCurrentVersion() throws {
        // One thread: the task for version 2 runs its teacher and parks; the task for version 1
        // behind it (a copy reassigned to this worker) still runs, and only then does the
        // update to version 2 let the parked task finish.
        let (results, failure) = try outcome([parameters(1), task(step: 2, version: 2), task(step: 1, version: 1), nil, parameters(2)],
                                             expected: 2)
        XCTAssertNil(failure)
        XCTAssertEqual(results.map(\.step), [1, 2])
        let alone = try outcome([parameters(2), task(step: 2, version: 2)], expected: 1)
        assertSameBits(results[1], try XCTUnwrap(alone.results.first))
    }

    func testTwoThreadsWithTasksAheadGiveTheBitsOfOne() throws {
        let items: [ComputePool.Item?] = [parameters(1), task(step: 1, version: 1), task(step: 2, version: 2), task(step: 3, version: 2),
                                          nil, parameters(2)]
        let one = try outcome(items, threads: 1, expected: 3)
        let two = try outcome(items, threads: 2, expected: 3)
        XCTAssertNil(one.failure)
        XCTAssertNil(two.failure)
        for step in 1...3 {
            assertSameBits(try XCTUnwrap(one.results.first { $0.step == step }), try XCTUnwrap(two.results.first { $0.step == step }))
        }
    }

    func testOrdersThatCannotBeRightAreFailuresWithAReason() throws {
        let skipped = try outcome([parameters(1), task(step: 2, version: 2), nil, parameters(3)], expected: 1)
        XCTAssertEqual(skipped.failure, "parameters of version 3 arrived before those of version 2, which a waiting task needs")
        let late = try outcome([parameters(2), task(step: 1, version: 1)], expected: 1)
        XCTAssertEqual(late.failure, "task for parameter version 1 arrived after version 2 replaced it")
        let repeated = try outcome([parameters(2), parameters(2)], expected: 1)
        XCTAssertEqual(repeated.failure, "parameters of version 2 arrived after version 2")
        XCTAssertTrue(skipped.results.isEmpty && late.results.isEmpty && repeated.results.isEmpty)
    }
}
