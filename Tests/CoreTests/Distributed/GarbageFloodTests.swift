import Foundation
import XCTest
@testable import Core

/// A `distill-coordinator train` process flooded with garbage from raw sockets while two honest
/// worker processes train: the parameters are those of a clean run, the garbage is counted in
/// summary.json, and the coordinator's peak RSS (`VmHWM`) is reported beside a run without flood.
final class GarbageFloodTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    /// Runs a distributed training process with two workers, calling `attack` with its endpoint
    /// until it exits. Returns its summary and its peak RSS in kB.
    private func distributed(_ label: String, job: [String], attack: @escaping (String, StopFlag) -> Void) throws -> (TrainingSummary, Int) {
        let out = harness.scratch + "/" + label
        let coordinator = try harness.start("distill-coordinator", ["train", "--out", out, "--bind", "tcp://127.0.0.1:0", "--insecure",
                                                                   "--min-workers", "2", "--worker-timeout", "5"] + job, label: label)
        let endpoint = try XCTUnwrap(harness.coordinatorEndpoint(label), harness.output(label))
        let over = StopFlag()
        let attackDone = DispatchSemaphore(value: 0)
        Thread {
            attack(endpoint, over)
            attackDone.signal()
        }.start()
        for i in 0..<2 {
            try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", endpoint, "--insecure", "--name", "\(label)-\(i)", "--coordinator-timeout", "30"],
                              label: "\(label)-\(i)")
        }
        var peak = 0
        let deadline = MonotonicClock.now() + 120
        while coordinator.isRunning, MonotonicClock.now() < deadline {
            peak = max(peak, peakRSSKilobytes(coordinator.processIdentifier))
            usleep(20_000)
        }
        over.stop("coordinator exited")
        _ = attackDone.wait(timeout: .now() + 10)
        XCTAssertEqual(harness.wait(coordinator, timeout: 10), 0, harness.output(label))
        return (try TrainingSummary.read(out + "/summary.json"), peak)
    }

    func testGarbageFloodChangesNothingAndMemoryStaysBounded() throws {
        let spec = harness.scratch + "/tiny.yaml"
        try "name: tiny\nlayers:\n  - {type: conv2d, filters: 4, kernel: 3, stride: 2}\n  - {type: batchnorm}\n  - {type: relu}\n  - {type: flatten}\n  - {type: dense}\n"
            .write(toFile: spec, atomically: true, encoding: .utf8)
        let job = ["data.train_size=96", "data.test_size=32", "train.batch_size=32", "train.steps=8", "train.shards=4",
                   "model.spec=\(spec)", "train.log_every=8", "seed=5"].flatMap { ["--set", $0] }
        let reference = try harness.start("distill-coordinator", ["train", "--out", harness.scratch + "/reference"] + job, label: "reference")
        XCTAssertEqual(harness.wait(reference, timeout: 120), 0, harness.output("reference"))
        let clean = try TrainingSummary.read(harness.scratch + "/reference/summary.json").paramsSHA256

        let (quiet, quietPeak) = try distributed("quiet", job: job) { _, _ in }
        var sent = 0
        let (flooded, floodPeak) = try distributed("flood", job: job) { endpoint, over in
            sent = GarbageFloodTests.flood(endpoint, until: over)
        }
        XCTAssertEqual(quiet.paramsSHA256, clean)
        XCTAssertEqual(flooded.paramsSHA256, clean, harness.output("flood"))
        let security = try XCTUnwrap(flooded.security)
        XCTAssertGreaterThan(security.droppedMessages, 0, harness.output("flood"))
        XCTAssertEqual(security.workersRefusedForRun, 1, "the peer that joined and then sent garbage\n\(harness.output("flood"))")
        print("garbage flood: \(sent) messages sent, \(security.droppedMessages) dropped by the coordinator; "
            + "coordinator peak RSS \(floodPeak) kB flooded, \(quietPeak) kB without flood")
    }

    /// Sends garbage from several raw DEALERs until `over`: random frames from strangers, a
    /// message of 10,000 frames, a frame larger than the run allows, and a peer that joins and
    /// then sends undecodable messages. Returns the number of messages queued.
    static func flood(_ endpoint: String, until over: StopFlag) -> Int {
        guard let context = try? ZMQContext() else { return 0 }
        var options = ZMQSocketOptions()
        options.sendTimeoutMilliseconds = 0
        let sockets = (0..<4).compactMap { _ in try? ZMQSocket(context: context, kind: .dealer, options: options) }
        for socket in sockets { try? socket.connect(endpoint) }
        let random = KeyedRandom(seed: 77)
        var sent = 0
        var counter: UInt64 = 0
        func send(_ socket: ZMQSocket, _ frames: [Frame]) {
            if (try? socket.trySend(frames: frames)) == true { sent += 1 }
        }
        send(sockets[1], (0..<10_000).map { _ in [1] })
        send(sockets[2], [Frame([UInt8](repeating: 7, count: 4 << 20))])
        send(sockets[3], WireCodec.encode(.join(JoinPayload(workerName: "noisy", threads: 1)), runID: 0, step: 0, parameterVersion: 0))
        while over.stopReason == nil {
            for _ in 0..<200 {
                counter += 1
                let frameCount = 1 + random.index(counter, below: 4)
                let frames = (0..<frameCount).map { f in
                    (0..<random.index(counter &* 8 &+ UInt64(f), below: 512)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(counter)) }
                }
                send(sockets[Int(counter % 2) == 0 ? 0 : 3], frames.map(Frame.init))
            }
            usleep(2_000)
        }
        return sent
    }
}
