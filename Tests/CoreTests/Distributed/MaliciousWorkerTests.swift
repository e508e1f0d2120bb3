import Foundation
import XCTest
@testable import Core

/// Workers that lie, replay, stall or stop reading, and peers that flood garbage: the
/// coordinator (in this process, or as a real `distill-coordinator` process) and honest
/// `distill-worker` processes on loopback must still finish with exactly the parameters of a
/// clean single-process run, and summary.json must count what was refused.
final class MaliciousWorkerTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    /// A small model with a BatchNorm (so results carry statistics) that trains fast in debug builds.
    private func specFile(dense units: Int? = nil) throws -> String {
        let path = harness.scratch + "/tiny-\(units ?? 0).yaml"
        let hidden = units.map { "  - {type: dense, units: \($0)}\n  - {type: relu}\n" } ?? ""
        try ("name: tiny\nlayers:\n  - {type: conv2d, filters: 4, kernel: 3, stride: 2}\n  - {type: batchnorm}\n  - {type: relu}\n"
            + "  - {type: flatten}\n" + hidden + "  - {type: dense}\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func job(_ spec: String, steps: Int = 4) -> [String] {
        ["data.train_size=96", "data.test_size=32", "train.batch_size=32", "train.steps=\(steps)", "train.shards=4",
         "model.spec=\(spec)", "train.log_every=\(steps)", "seed=5"]
    }

    private func reference(_ overrides: [String]) throws -> String {
        let setup = try TrainingSetup(config: try RunConfig.load(path: nil, overrides: overrides), parallelism: 1)
        let pool = LocalShardPool(executors: [try setup.makeExecutor()])
        let trainer = try Trainer(setup: setup, backend: pool, evaluator: pool, output: try RunOutput(directory: harness.scratch + "/reference"))
        trainer.report = { _ in }
        return try trainer.run().paramsSHA256
    }

    /// Lets `server` handle what has arrived, with an empty step.
    private func pump(_ server: CoordinatorServer, until condition: () -> Bool) -> Bool {
        let empty = ModelParameters(layout: ParameterLayout(layers: [], typeNames: []))
        return harness.eventually(timeout: 30) {
            _ = try? server.compute(step: 0, epoch: 0, parameterVersion: 0, parameters: empty, tasks: [])
            return condition()
        }
    }

    /// Runs `overrides` with the coordinator in this process, a `WorkerSession` named mallory
    /// that rewrites its results with `tamper` (joined first, so it gets work), and `honest`
    /// worker processes. Returns the summary and the coordinator's report lines.
    private func runWithMallory(_ overrides: [String], label: String, honest: Int = 2, options: CoordinatorServer.Options,
                                malloryCredit: Int = 1, tamper: @escaping (ComputedShard) -> [ComputedShard],
                                joinOthers: (CoordinatorServer) throws -> Int = { _ in 0 }, keys: CurveRun? = nil,
                                sharedMemory: PrivateFolder? = nil)
        throws -> (TrainingSummary, CoordinatorStatistics, [String]) {
        var options = options
        options.sharedMemoryFolder = sharedMemory?.path
        let setup = try TrainingSetup(config: try RunConfig.load(path: nil, overrides: overrides), parallelism: honest + 1)
        let probe = try Network(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes)
        let server = try CoordinatorServer(transport: try keys?.serverTransport() ?? Transport(security: .insecure), endpoint: "tcp://127.0.0.1:0",
                                           run: RunDescription(setup: setup, runID: 55), teacher: nil,
                                           shape: ResultShape(network: probe), options: options, stop: StopFlag())
        var lines: [String] = []
        server.report = { lines.append($0) }
        var malloryOptions = WorkerSession.Options(name: "mallory")
        malloryOptions.credit = malloryCredit
        malloryOptions.coordinatorTimeout = 30
        malloryOptions.sharedMemoryFolder = sharedMemory?.path
        let malloryStop = StopFlag()
        let mallory = try WorkerSession(transport: try keys?.workerTransport(1) ?? Transport(security: .insecure), endpoint: server.endpoint,
                                        options: malloryOptions, stop: malloryStop)
        mallory.tamper = tamper
        mallory.report = { _ in }
        let malloryDone = DispatchSemaphore(value: 0)
        let thread = Thread {
            _ = try? mallory.run()
            malloryDone.signal()
        }
        thread.start()
        defer {
            malloryStop.stop("test over")
            _ = malloryDone.wait(timeout: .now() + 10)
        }
        XCTAssertTrue(pump(server) { server.workerCount == 1 }, "mallory joins")
        let others = try joinOthers(server)
        XCTAssertTrue(pump(server) { server.workerCount == 1 + others }, "other peers join")
        let workers = try (0..<honest).map { i in
            try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", server.endpoint, "--name", "\(label)-\(i)", "--coordinator-timeout", "30"]
                                + (keys?.workerArguments(i + 2) ?? ["--insecure"]) + (sharedMemory.map { ["--shared-memory", $0.path] } ?? []),
                                label: "\(label)-\(i)")
        }
        XCTAssertTrue(pump(server) { server.workerCount == honest + 1 + others }, "honest workers join")
        let pool = LocalShardPool(executors: [try setup.makeExecutor()])
        let out = harness.scratch + "/" + label
        let trainer = try Trainer(setup: setup, backend: server, evaluator: pool, output: try RunOutput(directory: out))
        trainer.report = { _ in }
        _ = try trainer.run()
        server.shutdown(reason: "test finished")
        for (i, p) in workers.enumerated() { XCTAssertEqual(harness.wait(p, timeout: 20), 0, harness.output("\(label)-\(i)")) }
        return (try TrainingSummary.read(out + "/summary.json"), server.statistics, lines)
    }

    /// Runs with mallory rewriting its results by `tamper`: the run must end clean, with mallory
    /// refused after three strikes: rejected results, or with `undecodable`, messages that
    /// cannot be decoded. Returns the coordinator's report lines.
    private func assertRefusedAfterStrikes(_ name: String, sharedMemory: PrivateFolder? = nil, undecodable: Bool = false,
                                           tamper: @escaping (ComputedShard) -> [ComputedShard]) throws -> [String] {
        let overrides = job(try specFile())
        let clean = try reference(overrides)
        let (summary, statistics, lines) = try runWithMallory(overrides, label: name, options: CoordinatorServer.Options(), tamper: tamper,
                                                              sharedMemory: sharedMemory)
        let log = lines.joined(separator: "\n")
        XCTAssertEqual(summary.paramsSHA256, clean, "\(name): the run must end with the clean parameters\n\(log)")
        XCTAssertTrue(summary.completed)
        let security = try XCTUnwrap(summary.security)
        if undecodable {
            XCTAssertEqual(lines.filter { $0.hasPrefix("worker mallory: undecodable message") }.count, 3, log)
        } else {
            XCTAssertGreaterThanOrEqual(security.rejectedResults, 3, log)
        }
        XCTAssertEqual(security.workersRefusedForRun, 1, log)
        XCTAssertEqual(statistics.refusedForRun, 1)
        XCTAssertTrue(lines.contains { $0.hasPrefix("worker mallory refused for the rest of the run: 3 rejected messages") }, log)
        print("\(name): \(security)")
        return lines
    }

    /// Gradients that `shard`'s result names at `offset` of a shared-memory region of its own
    /// (the encoder then sends the offset, not the values).
    private func namingSharedMemory(_ shard: ComputedShard, offset: Int, folder: String) -> [ComputedShard] {
        let count = shard.result.gradients.count
        let path = folder + "/forged-\(UInt64.random(in: 0...UInt64.max))"
        guard let region = try? SharedMemoryRegion(creating: path, bytes: offset + 4 * count) else { return [] }
        var forged = shard
        forged.result.gradients = region.floats(inPlaceAt: offset, count: count)
        return [forged]
    }

    /// A worker that never offered to share memory (here: no coordinator shares any) and names
    /// its gradients there is struck, as for any undecodable message.
    func testGradientsNamedInSharedMemoryNoOneSharesAreRejected() throws {
        let scratch = try PrivateFolder.sharedMemory()
        let lines = try assertRefusedAfterStrikes("unshared", undecodable: true) { self.namingSharedMemory($0, offset: 0, folder: scratch.path) }
        XCTAssertTrue(lines.contains { $0.contains("names shared memory, which this connection does not share") }, lines.joined(separator: "\n"))
    }

    /// With a coordinator and workers sharing memory, a worker naming gradients outside its own
    /// region is struck; the honest workers' results come through shared memory.
    func testGradientsNamedOutsideTheWorkersRegionAreRejected() throws {
        let folder = try PrivateFolder.sharedMemory()
        let lines = try assertRefusedAfterStrikes("outside", sharedMemory: folder, undecodable: true) {
            self.namingSharedMemory($0, offset: 1 << 24, folder: folder.path)
        }
        XCTAssertTrue(lines.contains { $0.contains("lie outside its") && $0.contains("gradients-mallory-") }, lines.joined(separator: "\n"))
    }

    /// Over CURVE, refusing mallory for the run bans its key: the ZAP handler refuses it from then on.
    func testARefusedWorkersKeyIsBannedOverCurve() throws {
        let keys = try CurveRun(folder: harness.scratch + "/keys", workers: 3)
        let overrides = job(try specFile())
        let clean = try reference(overrides)
        let (summary, statistics, lines) = try runWithMallory(overrides, label: "curve-nan", options: CoordinatorServer.Options(), tamper: { shard in
            var bad = shard
            bad.result.gradients[0] = .nan
            return [bad]
        }, keys: keys)
        let log = lines.joined(separator: "\n")
        XCTAssertEqual(summary.paramsSHA256, clean, log)
        XCTAssertEqual(statistics.refusedForRun, 1, log)
        let mallory = try keys.workerKeyPair(1).publicKey
        XCTAssertEqual(keys.authorizer.decide(mallory), .banned, log)
        XCTAssertTrue(lines.contains { $0.contains("refused for the rest of the run") && $0.contains("(key \(mallory.fingerprint) banned)") }, log)
        XCTAssertEqual(keys.authorizer.decide(try keys.workerKeyPair(2).publicKey), .admitted(name: "worker-2.key"))
    }

    func testNaNGradientsAreRejectedAndTheWorkerRefused() throws {
        _ = try assertRefusedAfterStrikes("nan") { shard in
            var bad = shard
            bad.result.gradients[0] = .nan
            return [bad]
        }
    }

    func testHugeGradientsAreRejectedAndTheWorkerRefused() throws {
        _ = try assertRefusedAfterStrikes("huge") { shard in
            var bad = shard
            bad.result.gradients[bad.result.gradients.count / 2] = 1e30
            return [bad]
        }
    }

    /// With credit 1, mallory holds nothing once its own result is in: the extra result is for a
    /// shard not assigned to it.
    func testResultsForShardsNotAssignedAreRejectedAndTheWorkerRefused() throws {
        _ = try assertRefusedAfterStrikes("foreign") { shard in
            var foreign = shard
            foreign.result.shardIndex = (shard.result.shardIndex + 1) % 4
            return [shard, foreign]
        }
    }

    func testReplayedResultsAreRejectedAndTheWorkerRefused() throws {
        _ = try assertRefusedAfterStrikes("replay") { shard in [shard, shard] }
    }

    /// A finite but wrong gradient passes every content check; only the audit can catch it.
    func testWrongButFiniteGradientsAreCaughtByTheAudit() throws {
        let overrides = job(try specFile())
        let clean = try reference(overrides)
        var options = CoordinatorServer.Options()
        options.audit = AuditPolicy(fraction: 1, key: 7)
        let (summary, _, lines) = try runWithMallory(overrides, label: "wrong", options: options) { shard in
            var bad = shard
            for i in bad.result.gradients.indices { bad.result.gradients[i] *= 1.5 }
            return [bad]
        }
        let log = lines.joined(separator: "\n")
        XCTAssertEqual(summary.paramsSHA256, clean, log)
        let security = try XCTUnwrap(summary.security)
        XCTAssertGreaterThanOrEqual(security.auditMismatches, 1, log)
        XCTAssertEqual(security.workersRefusedForRun, 1, log)
        XCTAssertEqual(security.auditedShards, 16, "every shard of 4 steps settled by two agreeing workers\n\(log)")
        XCTAssertTrue(lines.contains { $0.contains("worker mallory refused for the rest of the run") && $0.contains("disagrees with two other workers") },
                      log)
        print("wrong: \(security)")
    }

    /// Mallory takes tasks and never answers but keeps heartbeating: its shards pass their
    /// deadline and go to honest workers; mallory is never refused (slowness is not a lie).
    func testWorkerSittingOnTasksWhileHeartbeatingIsWorkedAround() throws {
        let overrides = job(try specFile())
        let clean = try reference(overrides)
        var options = CoordinatorServer.Options()
        options.peerTimeout = 1
        let (summary, statistics, lines) = try runWithMallory(overrides, label: "silent", options: options) { _ in [] }
        let log = lines.joined(separator: "\n")
        XCTAssertEqual(summary.paramsSHA256, clean, log)
        XCTAssertGreaterThanOrEqual(statistics.reassignedShards, 1, log)
        XCTAssertTrue(lines.contains { $0.contains("overdue on worker mallory") }, log)
        XCTAssertEqual(statistics.refusedForRun, 0, log)
        XCTAssertEqual(statistics.rejectedResults, 0, log)
        print("silent: \(statistics.reassignedShards) shard copies reassigned; peak RSS of this test process \(peakRSSKilobytes(getpid())) kB")
    }

    /// A peer that joins, asks for work and never reads: its queue fills and it is dropped,
    /// the coordinator never blocks on it.
    func testPeerThatStopsReadingIsDropped() throws {
        // 1M parameters: a few parameters messages fill the kernel's socket buffers, then the
        // transport's per-peer queue (8 messages) fills; a short worker timeout keeps the
        // deadlines on the deaf peer's shards short.
        let overrides = job(try specFile(dense: 1024), steps: 6)
        let clean = try reference(overrides)
        var options = CoordinatorServer.Options()
        options.heartbeatInterval = 0.05
        options.peerTimeout = 1
        let context = try ZMQContext()
        var deafOptions = ZMQSocketOptions()
        deafOptions.receiveHighWaterMark = 1
        deafOptions.heartbeat = nil
        let deaf = try ZMQSocket(context: context, kind: .dealer, options: deafOptions)
        let beating = StopFlag()
        defer { beating.stop("test over") }
        // Mallory is honest here; the deaf raw peer is what is tested.
        let (summary, statistics, lines) = try runWithMallory(overrides, label: "deaf", honest: 1, options: options, tamper: { [$0] },
                                                              joinOthers: { server in
            try deaf.connect(server.endpoint)
            try deaf.send(frames: WireCodec.encode(.join(JoinPayload(workerName: "deaf", threads: 1)), runID: 0, step: 0, parameterVersion: 0))
            Thread {
                // Credit and liveness, so only the full send queue can reveal it.
                while beating.stopReason == nil {
                    _ = try? deaf.trySend(frames: WireCodec.encode(.ready(credit: 8), runID: 55, step: 0, parameterVersion: 0))
                    usleep(100_000)
                }
            }.start()
            return 1
        })
        let log = lines.joined(separator: "\n")
        XCTAssertEqual(summary.paramsSHA256, clean, log)
        XCTAssertTrue(lines.contains { $0.hasPrefix("worker deaf stopped reading (its send queue is full); disconnecting it") }, log)
        XCTAssertGreaterThanOrEqual(statistics.lost, 1)
    }
}

/// Peak resident set size (`VmHWM`) of process `pid` in kB, or 0 if it cannot be read.
func peakRSSKilobytes(_ pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

/// A key folder for a CURVE run: the coordinator's transport with its authoriser, and each
/// worker's transport or command-line arguments.
struct CurveRun {
    let keys: KeyDirectory
    let authorizer: CurveAuthorizer

    init(folder: String, workers: Int) throws {
        keys = KeyDirectory(path: folder)
        _ = try keys.generate(workers: workers)
        authorizer = try CurveAuthorizer(keys: keys)
    }

    func serverTransport() throws -> Transport {
        try Transport(security: .curveServer(keyPair: keys.coordinatorKeyPair(), authorizer: authorizer), report: { _ in })
    }

    func workerKeyPair(_ i: Int) throws -> CurveKeyPair {
        let file = keys.path + "/worker-\(i).key_secret"
        return try CurveCertificate.load(file).keyPair(file: file)
    }

    func workerTransport(_ i: Int) throws -> Transport {
        try Transport(security: .curveClient(keyPair: workerKeyPair(i), serverKey: CurveCertificate.load(keys.coordinatorPublicFile).publicKey))
    }

    func workerArguments(_ i: Int) -> [String] {
        ["--key", keys.path + "/worker-\(i).key_secret", "--server-key", keys.coordinatorPublicFile]
    }
}
