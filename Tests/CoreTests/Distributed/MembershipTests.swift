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
        let server = try CoordinatorServer(transport: try Transport(security: .insecure), endpoint: "tcp://127.0.0.1:0",
                                           run: RunDescription(setup: setup, runID: 4242), teacher: nil,
                                           shape: ResultShape(network: probe), options: options, stop: stop)
        server.report = { _ in }
        return (server, setup)
    }

    /// Sends one message from a raw DEALER and returns the coordinator's answer, pumping the
    /// coordinator with a zero-task step.
    private func exchange(_ server: CoordinatorServer, _ message: WireMessage, runID: UInt64) throws -> WireMessage? {
        try exchangeWithHeader(server, message, runID: runID).message
    }

    private func exchangeWithHeader(_ server: CoordinatorServer, _ message: WireMessage, runID: UInt64) throws
        -> (header: WireHeader?, message: WireMessage?) {
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context: context, kind: .dealer)
        try dealer.connect(server.endpoint)
        try dealer.send(frames: WireCodec.encode(message, runID: runID, step: 0, parameterVersion: 0))
        let parameters = ModelParameters(layout: ParameterLayout(layers: [], typeNames: []))
        let deadline = MonotonicClock.now() + 5
        while MonotonicClock.now() < deadline {
            _ = try server.compute(step: 0, epoch: 0, parameterVersion: 0, parameters: parameters, tasks: [])
            if let frames = try dealer.receive(timeoutMilliseconds: 20) {
                let (header, message) = try WireCodec.decode(frames)
                return (header, message)
            }
        }
        return (nil, nil)
    }

    /// The refusal carries no run information: run id 0 in its header, none in its text.
    func testWrongRunIsRefusedWithoutRunInformation() throws {
        let (server, _) = try makeServer()
        let (header, answer) = try exchangeWithHeader(server, .join(JoinPayload(workerName: "stray", threads: 1)), runID: 99)
        guard case let .error(code, text)? = answer else { return XCTFail("expected an error, got \(String(describing: answer))") }
        XCTAssertEqual(code, WireErrorCode.wrongRun.rawValue)
        XCTAssertEqual(text, "worker belongs to run 99, which is not this coordinator's run")
        XCTAssertEqual(header?.runID, 0)
        XCTAssertEqual(server.statistics.refused, 1)
        XCTAssertEqual(server.workerCount, 0)
    }

    func testOtherProtocolVersionIsRefused() throws {
        let (server, _) = try makeServer()
        let answer = try exchange(server, .join(JoinPayload(workerName: "future", protocolVersion: WireLimits.protocolVersion + 1, threads: 1)), runID: 0)
        guard case let .error(code, text)? = answer else { return XCTFail("expected an error, got \(String(describing: answer))") }
        XCTAssertEqual(code, WireErrorCode.unsupportedVersion.rawValue)
        XCTAssertTrue(text.contains("protocol version 5, this coordinator speaks 4"), text)
    }

    func testResultFromUnknownWorkerIsAnsweredOnceThenDropped() throws {
        let (server, _) = try makeServer()
        let result = ShardResult(shardIndex: 0, loss: LossSums(total: 0, hard: 0, soft: 0, correct: 0, count: 1),
                                 batchStatistics: [], gradients: [1], computeSeconds: 0)
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context: context, kind: .dealer)
        try dealer.connect(server.endpoint)
        for _ in 0..<5 { try dealer.send(frames: WireCodec.encode(.result(result), runID: 4242, step: 0, parameterVersion: 0)) }
        let empty = ModelParameters(layout: ParameterLayout(layers: [], typeNames: []))
        var answers: [WireMessage] = []
        XCTAssertTrue(ProcessHarness().eventually(timeout: 5) {
            _ = try? server.compute(step: 0, epoch: 0, parameterVersion: 0, parameters: empty, tasks: [])
            while let frames = try? dealer.receive(timeoutMilliseconds: 10), let m = try? WireCodec.decode(frames).message { answers.append(m) }
            return server.statistics.refused + server.statistics.droppedMessages == 5
        })
        XCTAssertEqual(answers.count, 1, "a stranger is answered once per interval")
        guard case let .error(code, _)? = answers.first else { return XCTFail("expected an error, got \(answers)") }
        XCTAssertEqual(code, WireErrorCode.unexpected.rawValue)
        XCTAssertEqual(server.statistics.droppedMessages, 4)
    }

    /// A result for a step the worker was never given is a strike, not grounds for dropping it at once.
    func testResultForAnotherStepIsAStrikeWithoutDroppingTheWorker() throws {
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
        let stale = ShardResult(shardIndex: 0, loss: LossSums(total: 0, hard: 0, soft: 0, correct: 0, count: 1),
                                batchStatistics: [], gradients: [0], computeSeconds: 0)
        try dealer.send(frames: WireCodec.encode(.result(stale), runID: 4242, step: 2, parameterVersion: 2))
        XCTAssertTrue(ProcessHarness().eventually(timeout: 5) {
            _ = try? server.compute(step: 3, epoch: 0, parameterVersion: 3, parameters: empty, tasks: [])
            return server.statistics.rejectedResults == 1
        })
        XCTAssertEqual(server.workerCount, 1, "one strike is not a reason to drop the worker")
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
        let worker = try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", server.endpoint, "--insecure", "--name", "only", "--coordinator-timeout", "10"],
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
        let worker = try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", server.endpoint, "--insecure", "--name", "picky", "--student", "seed-student",
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
        let worker = try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", "tcp://127.0.0.1:9", "--insecure", "--name", "lonely", "--coordinator-timeout", "1"],
                                       label: "lonely")
        XCTAssertEqual(harness.wait(worker, timeout: 15), 1)
        XCTAssertTrue(harness.output("lonely").contains("no message from the coordinator at tcp://127.0.0.1:9 for 1 s; giving up"),
                      harness.output("lonely"))
    }
}
