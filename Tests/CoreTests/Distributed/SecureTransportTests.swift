import Foundation
import XCTest
@testable import Core

/// `train --bind tcp:// --keys` as a user runs it: keygen, CURVE, the ZAP handler's refusals,
/// SIGHUP, and the errors that say what to type. Real processes on loopback.
final class SecureTransportTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    private let job = ["--set", "data.train_size=96", "--set", "data.test_size=32", "--set", "train.batch_size=32",
                       "--set", "train.steps=4", "--set", "train.shards=2", "--set", "model.spec=hinton-student", "--set", "seed=3"]

    /// Whether `dealer` receives anything decodable within `seconds`.
    private func receivesRunInformation(_ dealer: TransportDealer, seconds: Double) throws -> WireMessage? {
        let deadline = MonotonicClock.now() + seconds
        while MonotonicClock.now() < deadline {
            if let frames = try dealer.receive(timeoutMilliseconds: 50), let decoded = try? WireCodec.decode(frames) { return decoded.message }
        }
        return nil
    }

    private var join: [Frame] {
        WireCodec.encode(.join(JoinPayload(workerName: "raw", threads: 1, specHash: "")), runID: 0, step: 0, parameterVersion: 0)
    }

    func testOnlyAuthorisedKeysJoinAndTheRunMatchesLocalMode() throws {
        let keys = harness.scratch + "/keys"
        let keygen = try harness.start("distill-coordinator", ["keygen", "--out", keys, "--workers", "2"], label: "keygen")
        XCTAssertEqual(harness.wait(keygen, timeout: 30), 0, harness.output("keygen"))
        let again = try harness.start("distill-coordinator", ["keygen", "--out", keys], label: "again")
        XCTAssertEqual(harness.wait(again, timeout: 30), 1)
        XCTAssertTrue(harness.output("again").contains("\(keys)/coordinator.key exists already; refusing to overwrite it"), harness.output("again"))
        try FileManager.default.removeItem(atPath: keys + "/authorized/worker-2.key")

        let coordinator = try harness.start("distill-coordinator", [
            "train", "--out", harness.scratch + "/secure", "--bind", "tcp://127.0.0.1:0", "--keys", keys, "--min-workers", "1",
        ] + job, label: "secure")
        guard let address = harness.coordinatorEndpoint("secure") else { return XCTFail(harness.output("secure")) }
        XCTAssertTrue(harness.output("secure").contains("admitting the 1 keys in \(keys)/authorized"), harness.output("secure"))
        let serverKey = try CurveCertificate.load(keys + "/coordinator.key").publicKey
        let stranger = try CurveCertificate.load(keys + "/worker-2.key_secret").keyPair(file: "worker-2")

        // No key (plain TCP), an unauthorised key, and the right key for the wrong server: nothing comes back.
        let plain = try Transport(security: .insecure).connectDealer(address)
        let unknown = try Transport(security: .curveClient(keyPair: stranger, serverKey: serverKey)).connectDealer(address)
        let misdirected = try Transport(security: .curveClient(keyPair: stranger, serverKey: try CurveKeyPair.generate().publicKey))
            .connectDealer(address)
        for dealer in [plain, unknown, misdirected] { try dealer.send(frames: join) }
        let refusal = "refused a connection from 127.0.0.1: key \(stranger.publicKey.fingerprint) is not in \(keys)/authorized"
        XCTAssertTrue(harness.eventually(timeout: 30) { harness.output("secure").contains(refusal) }, harness.output("secure"))
        for dealer in [plain, unknown, misdirected] { XCTAssertNil(try receivesRunInformation(dealer, seconds: 1)) }
        XCTAssertTrue(harness.output("secure").contains("waiting for workers: 0 connected"), "refused peers are not workers")

        // A worker process with an unauthorised key learns it at once and exits 1.
        let refused = try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", address, "--key", keys + "/worker-2.key_secret",
                                                           "--server-key", keys + "/coordinator.key"], label: "refused")
        XCTAssertEqual(harness.wait(refused, timeout: 30), 1, harness.output("refused"))
        XCTAssertTrue(harness.output("refused").contains("not admitted by \(address): the coordinator refused this worker's CURVE key (ZAP status 400)"),
                      harness.output("refused"))
        XCTAssertFalse(harness.output("refused").contains("joined run"))

        // SIGHUP after adding the key: a new connection with it is admitted and welcomed. (A
        // refused libzmq client does not retry: the refusal ends its connection for good.)
        try FileManager.default.copyItem(atPath: keys + "/worker-2.key", toPath: keys + "/authorized/worker-2.key")
        kill(coordinator.processIdentifier, SIGHUP)
        XCTAssertTrue(harness.eventually(timeout: 30) { harness.output("secure").contains("SIGHUP: re-read \(keys)/authorized: 2 authorised keys") },
                      harness.output("secure"))
        let admitted = try Transport(security: .curveClient(keyPair: stranger, serverKey: serverKey)).connectDealer(address)
        try admitted.send(frames: join)
        guard case .welcome? = try receivesRunInformation(admitted, seconds: 30) else { return XCTFail("admitted after SIGHUP: \(harness.output("secure"))") }
        XCTAssertNil(try receivesRunInformation(unknown, seconds: 0.2))

        // The authorised worker, its keys from the environment, finishes the run.
        let worker = try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", address, "--name", "good", "--coordinator-timeout", "30"], label: "good",
                                       environment: ["DISTILL_KEY": keys + "/worker-1.key_secret", "DISTILL_SERVER_KEY": keys + "/coordinator.key"])
        XCTAssertEqual(harness.wait(coordinator, timeout: 300), 0, harness.output("secure"))
        XCTAssertEqual(harness.wait(worker, timeout: 30), 0, harness.output("good"))

        let local = try harness.start("distill-coordinator", ["train", "--out", harness.scratch + "/local", "--local-workers", "1"] + job, label: "local")
        XCTAssertEqual(harness.wait(local, timeout: 300), 0, harness.output("local"))
        XCTAssertTrue(harness.output("local").contains("coordinator listening on ipc://"), harness.output("local"))
        XCTAssertEqual(try TrainingSummary.read(harness.scratch + "/secure/summary.json").paramsSHA256,
                       try TrainingSummary.read(harness.scratch + "/local/summary.json").paramsSHA256)
    }

    func testPlainTCPNeedsKeysOrAnExplicitInsecure() throws {
        let out = harness.scratch + "/never"
        let train = try harness.start("distill-coordinator", ["train", "--out", out, "--bind", "tcp://127.0.0.1:0"] + job, label: "train")
        XCTAssertEqual(harness.wait(train, timeout: 30), 64, harness.output("train"))
        for hint in ["--bind tcp://127.0.0.1:0 needs CURVE keys", "distill-coordinator keygen --out KEYDIR --workers N", "add --keys KEYDIR",
                     "--key KEYDIR/worker-i.key_secret --server-key KEYDIR/coordinator.key", "--insecure"] {
            XCTAssertTrue(harness.output("train").contains(hint), "\(hint): \(harness.output("train"))")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        let worker = try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", "tcp://127.0.0.1:9"], label: "worker")
        XCTAssertEqual(harness.wait(worker, timeout: 30), 64, harness.output("worker"))
        XCTAssertTrue(harness.output("worker").contains("add --key KEYDIR/worker-1.key_secret --server-key KEYDIR/coordinator.key"),
                      harness.output("worker"))

        let insecure = try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", "tcp://127.0.0.1:9", "--insecure", "--coordinator-timeout", "1"],
                                         label: "insecure")
        XCTAssertEqual(harness.wait(insecure, timeout: 30), 1, harness.output("insecure"))
        XCTAssertTrue(harness.output("insecure").hasPrefix("warning: --insecure: plain TCP"), harness.output("insecure"))
    }
}
