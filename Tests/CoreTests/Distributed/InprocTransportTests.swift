import Foundation
import XCTest
@testable import Core

/// The coordinator and a worker in one process over `inproc://`, through one ``Transport``:
/// the same code as across processes, and the same parameters as a single-process run.
final class InprocTransportTests: XCTestCase {
    private let job = ["data.train_size=64", "data.test_size=16", "train.batch_size=32", "train.steps=3", "train.shards=2",
                       "model.spec=hinton-student", "seed=5"]

    func testCoordinatorAndWorkerInOneProcess() throws {
        let scratch = NSTemporaryDirectory() + "/distill-inproc-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let config = try RunConfig.load(path: nil, overrides: job)

        let single = try TrainingSetup(config: config, parallelism: 1)
        let pool = LocalShardPool(executors: [try single.makeExecutor()])
        let reference = try Trainer(setup: single, backend: pool, evaluator: pool, output: try RunOutput(directory: scratch + "/single"))
        reference.report = { _ in }
        let expected = try reference.run().paramsSHA256

        let transport = try Transport(security: .insecure)
        let setup = try TrainingSetup(config: config, parallelism: 1)
        let probe = try Network(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes)
        let server = try CoordinatorServer(transport: transport, endpoint: "inproc://distill-\(UUID().uuidString)",
                                           run: RunDescription(setup: setup, runID: 11), teacher: nil,
                                           shape: ResultShape(network: probe), stop: StopFlag())
        server.report = { _ in }
        let session = try WorkerSession(transport: transport, endpoint: server.endpoint, options: WorkerSession.Options(name: "inproc"),
                                        stop: StopFlag())
        session.report = { _ in }
        let exit = WorkerExitBox()
        let thread = Thread { exit.set(Result { try session.run() }) }
        thread.start()
        let evaluator = LocalShardPool(executors: [try setup.makeExecutor()])
        let trainer = try Trainer(setup: setup, backend: server, evaluator: evaluator, output: try RunOutput(directory: scratch + "/inproc"))
        trainer.report = { _ in }
        let summary = try trainer.run()
        server.shutdown(reason: "test finished")
        XCTAssertTrue(exit.wait(seconds: 30))
        XCTAssertEqual(try exit.result?.get(), .shutdown(reason: "test finished"))
        XCTAssertEqual(summary.paramsSHA256, expected)
        XCTAssertEqual(server.statistics.joined, 1)
        // Epochs of 2 steps: step 1's tasks go out while step 0 is computed (one, as the worker
        // has one thread); step 2 opens an epoch, so nothing goes ahead of it.
        XCTAssertEqual(server.statistics.shardsSentAhead, 1)
    }
}

/// The worker thread's outcome, handed to the test thread.
private final class WorkerExitBox: @unchecked Sendable {
    private let condition = NSCondition()
    private(set) var result: Result<WorkerExit, Error>?

    func set(_ value: Result<WorkerExit, Error>) {
        condition.lock(); result = value; condition.broadcast(); condition.unlock()
    }

    func wait(seconds: Double) -> Bool {
        condition.lock(); defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: seconds)
        while result == nil { if !condition.wait(until: deadline) { return false } }
        return true
    }
}
