import Foundation
import XCTest
@testable import Core

/// Refusals and lost peers, with real sockets on loopback and real worker processes.
final class MembershipTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    private func makeServer(_ options: CoordinatorServer.Options = CoordinatorServer.Options(), stop: StopFlag = StopFlag())
        throws -> (CoordinatorServer, TrainingSetup) {
        let config = try RunConfig.load(path: nil, overrides: ["data.train_size=64", "data.test_size=16", "model.spec=hinton-student",
                                                                  "train.batch_size=16", "train.shards=2"])
        let setup = try TrainingSetup(config: config, parallelism: 1)
        let probe = try Network(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes)
        let server = try CoordinatorServer(transport: try Transport(security: .insecure), endpoint: "tcp://127.0.0.1:0", run: RunDescription(setup: setup, runID: 4242), teacher: nil,
                                           parameterCount: probe.layout.parameterCount, statisticsCount: probe.batchStatisticsCount,
                                           options: options, stop: stop)
        server.report = { _ in }
        return (server, setup)
    }

    /// Sends one message from a raw DEALER and returns the coordinator's answer, pumping the
    /// coordinator with a zero-task step.
    private func exchange(_ server: CoordinatorServer, _ message: WireMessage, runID: UInt64) throws -> WireMessage? {
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context: context, kind: .dealer)
        try dealer.connect(server.endpoint)
        try dealer.send(frames: WireCodec.encode(message, runID: runID, step: 0, parameterVersion: 0))
        let parameters = ModelParameters(layout: ParameterLayout(layers: [], typeNames: []))
        let deadline = MonotonicClock.now() + 5
        while MonotonicClock.now() < deadline {
            _ = try server.compute(step: 0, epoch: 0, parameterVersion: 0, parameters: parameters, tasks: [])
            if let frames = try dealer.receive(timeoutMilliseconds: 20) { return try WireCodec.decode(frames).message }
        }
        return nil
    }

    func testWrongRunIsRefused() throws {
        let (server, _) = try makeServer()
        let answer = try exchange(server, .join(JoinPayload(workerName: "stray", threads: 1)), runID: 99)
        guard case let .error(code, text)? = answer else { return XCTFail("expected an error, got \(String(describing: answer))") }
        XCTAssertEqual(code, WireErrorCode.wrongRun.rawValue)
        XCTAssertEqual(text, "worker belongs to run 99, this coordinator runs 4242")
        XCTAssertEqual(server.statistics.refused, 1)
        XCTAssertEqual(server.workerCount, 0)
    }

    func testOtherProtocolVersionIsRefused() throws {
        let (server, _) = try makeServer()
        let answer = try exchange(server, .join(JoinPayload(workerName: "future", protocolVersion: 2, threads: 1)), runID: 0)
        guard case let .error(code, text)? = answer else { return XCTFail("expected an error, got \(String(describing: answer))") }
        XCTAssertEqual(code, WireErrorCode.unsupportedVersion.rawValue)
        XCTAssertTrue(text.contains("protocol version 2"), text)
    }

    func testResultFromUnknownWorkerIsDroppedAndCounted() throws {
        let (server, _) = try makeServer()
        let result = ResultPayload(step: 0, parameterVersion: 0, shardIndex: 0, count: 1, lossTotal: 0, lossHard: 0, lossSoft: 0,
                                   correct: 0, batchStatistics: [], gradients: [1], computeSeconds: 0)
        let answer = try exchange(server, .result(result), runID: 4242)
        guard case let .error(code, _)? = answer else { return XCTFail("expected an error, got \(String(describing: answer))") }
        XCTAssertEqual(code, WireErrorCode.unexpected.rawValue)
        XCTAssertEqual(server.statistics.droppedResults, 1)
    }

    func testStaleResultIsDroppedAndCountedWithoutDroppingTheWorker() throws {
        let (server, _) = try makeServer()
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context: context, kind: .dealer)
        try dealer.connect(server.endpoint)
        let empty = ModelParameters(layout: ParameterLayout(layers: [], typeNames: []))
        try dealer.send(frames: WireCodec.encode(.join(JoinPayload(workerName: "late", threads: 1)), runID: 0, step: 0, parameterVersion: 0))
        var welcomed = false
        XCTAssertTrue(ProcessHarness().eventually(timeout: 5) {
            _ = try? server.compute(step: 3, epoch: 0, parameterVersion: 3, parameters: empty, tasks: [])
            if let frames = try? dealer.receive(timeoutMilliseconds: 10), case .welcome? = try? WireCodec.decode(frames).message { welcomed = true }
            return welcomed
        })
        let stale = ResultPayload(step: 2, parameterVersion: 2, shardIndex: 0, count: 1, lossTotal: 0, lossHard: 0, lossSoft: 0,
                                  correct: 0, batchStatistics: [], gradients: [0], computeSeconds: 0)
        try dealer.send(frames: WireCodec.encode(.result(stale), runID: 4242, step: 2, parameterVersion: 2))
        XCTAssertTrue(ProcessHarness().eventually(timeout: 5) {
            _ = try? server.compute(step: 3, epoch: 0, parameterVersion: 3, parameters: empty, tasks: [])
            return server.statistics.droppedResults == 1
        })
        XCTAssertEqual(server.workerCount, 1, "a late result is not a reason to drop the worker")
        XCTAssertEqual(server.statistics.refused, 0)
    }

    func testCoordinatorWaitsForMinimumWorkersAndSaysSo() throws {
        var options = CoordinatorServer.Options()
        options.minWorkers = 2
        options.waitingReportInterval = 0.2
        let stop = StopFlag()
        let (server, setup) = try makeServer(options, stop: stop)
        var lines: [String] = []
        server.report = { lines.append($0) }
        let worker = try harness.start("distill-worker", ["--connect", server.endpoint, "--insecure", "--name", "only", "--coordinator-timeout", "10"],
                                       label: "only")
        let task = ShardPlan(batchSize: 4, shards: 1).tasks(images: [UInt8](repeating: 7, count: 4 * setup.train.imageBytes),
                                                           labels: [0, 1, 2, 3], height: 32, width: 32, channels: 3)
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { stop.stop("test over") }
        XCTAssertThrowsError(try server.compute(step: 0, epoch: 0, parameterVersion: 0, parameters: setup.student, tasks: task)) { error in
            XCTAssertTrue(error is RunInterrupted, "\(error)")
        }
        XCTAssertEqual(server.workerCount, 1)
        XCTAssertTrue(lines.contains { $0.hasPrefix("waiting for workers: 1 connected, 2 needed") }, lines.joined(separator: "\n"))
        server.shutdown(reason: "test over")
        XCTAssertEqual(harness.wait(worker, timeout: 10), 0, harness.output("only"))
    }

    func testWorkerExpectingOtherModelsIsRefusedOnBothSides() throws {
        let (server, _) = try makeServer()
        let worker = try harness.start("distill-worker", ["--connect", server.endpoint, "--insecure", "--name", "picky", "--student", "seed-student",
                                                          "--coordinator-timeout", "10"], label: "picky")
        let parameters = ModelParameters(layout: ParameterLayout(layers: [], typeNames: []))
        XCTAssertTrue(harness.eventually(timeout: 10) {
            _ = try? server.compute(step: 0, epoch: 0, parameterVersion: 0, parameters: parameters, tasks: [])
            return server.statistics.refused == 1
        })
        XCTAssertEqual(harness.wait(worker, timeout: 10), 1)
        XCTAssertTrue(harness.output("picky").contains("coordinator refused this worker (specMismatch)"), harness.output("picky"))
    }

    func testWorkerWithoutCoordinatorGivesUpWithAClearMessage() throws {
        let worker = try harness.start("distill-worker", ["--connect", "tcp://127.0.0.1:9", "--insecure", "--name", "lonely", "--coordinator-timeout", "1"],
                                       label: "lonely")
        XCTAssertEqual(harness.wait(worker, timeout: 15), 1)
        XCTAssertTrue(harness.output("lonely").contains("no message from the coordinator at tcp://127.0.0.1:9 for 1 s; giving up"),
                      harness.output("lonely"))
    }
}
