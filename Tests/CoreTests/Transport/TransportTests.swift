import Foundation
import XCTest
@testable import Core

/// The transport's sockets in one process over loopback TCP and inproc: CURVE admission and
/// refusal through the ZAP handler, sender metadata, bans, non-blocking sends, bounds, and
/// forced disconnects.
final class TransportTests: XCTestCase {
    private var scratch: String!
    private var keys: KeyDirectory!
    private let lines = LineLog()

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "/distill-transport-\(UUID().uuidString)"
        keys = KeyDirectory(path: scratch)
        try keys.generate(workers: 2)
        try FileManager.default.removeItem(atPath: keys.authorizedFolder + "/worker-2.key")
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }

    private func pair(_ name: String) throws -> CurveKeyPair {
        try CurveCertificate.load("\(scratch!)/\(name).key_secret").keyPair(file: name)
    }

    private func server(limits: TransportLimits = TransportLimits()) throws -> (Transport, CurveAuthorizer) {
        let authorizer = try CurveAuthorizer(keys: keys)
        let transport = try Transport(security: .curveServer(keyPair: try pair("coordinator"), authorizer: authorizer), limits: limits,
                                      report: lines.append)
        return (transport, authorizer)
    }

    private func client(_ name: String) throws -> Transport {
        try Transport(security: .curveClient(keyPair: try pair(name), serverKey: try pair("coordinator").publicKey))
    }

    /// Polls `router` until `condition` holds for a received message or `seconds` pass.
    private func receive(_ router: TransportRouter, seconds: Double = 10) throws -> InboundMessage? {
        let deadline = MonotonicClock.now() + seconds
        while MonotonicClock.now() < deadline {
            if let message = try router.receive(timeoutMilliseconds: 50) { return message }
        }
        return nil
    }

    func testAuthorisedKeyIsAdmittedWithItsKeyAndAddress() throws {
        let (transport, _) = try server()
        let router = try transport.bindRouter("tcp://127.0.0.1:0")
        let worker = try client("worker-1")
        let dealer = try worker.connectDealer(router.endpoint, routingID: Array("w1".utf8))
        try dealer.send(frames: [[1, 2, 3]])
        let message = try XCTUnwrap(try receive(router))
        XCTAssertEqual(message.peer, PeerID(Array("w1".utf8)))
        XCTAssertEqual(message.frames, [[1, 2, 3]])
        XCTAssertEqual(message.key, try pair("worker-1").publicKey)
        XCTAssertEqual(message.peerAddress, "127.0.0.1")
        XCTAssertEqual(message.sender, "w1 (127.0.0.1, key \(try pair("worker-1").publicKey.fingerprint))")
        XCTAssertEqual(PeerID([0, 0xAB]).description, "0x00ab")
        XCTAssertEqual(try router.send([[9]], to: message.peer), .queued)
        XCTAssertEqual(try dealer.receive(timeoutMilliseconds: 10_000), [[9]])
        XCTAssertEqual(transport.refusedHandshakes, 0)
    }

    func testAWakeupEndsTheDealersWaitAndStaysPendingUntilDrained() throws {
        // Waits without a timeout (-1): a wake-up that did not end the wait would hang the test.
        let transport = try Transport(security: .insecure)
        let router = try transport.bindRouter("tcp://127.0.0.1:0")
        let dealer = try transport.connectDealer(router.endpoint, routingID: Array("w".utf8))
        let wakeup = try WakeupPipe()
        let signaller = Thread { wakeup.signal() }
        signaller.start()
        XCTAssertNil(try dealer.receive(timeoutMilliseconds: -1, orWakeUp: wakeup), "woken from another thread, no message")
        XCTAssertNil(try dealer.receive(timeoutMilliseconds: -1, orWakeUp: wakeup), "still pending: nothing drained it")
        wakeup.signal()
        wakeup.signal()
        wakeup.drain()
        XCTAssertNil(try dealer.receive(timeoutMilliseconds: 0, orWakeUp: wakeup))
        try dealer.send(frames: [[7]])
        let hello = try XCTUnwrap(try receive(router))
        XCTAssertEqual(try router.send([[8, 9]], to: hello.peer), .queued)
        XCTAssertEqual(try dealer.receive(timeoutMilliseconds: -1, orWakeUp: wakeup), [[8, 9]], "a message ends the wait too")
    }

    /// An unknown key, a client that expects another server key, and a NULL-mechanism client
    /// get nothing through; the unknown key's refusal is logged with address and fingerprint.
    func testUnauthorisedPeersNeverReachTheRouter() throws {
        let (transport, _) = try server()
        let router = try transport.bindRouter("tcp://127.0.0.1:0")
        let stranger = try client("worker-2")
        let strangerDealer = try stranger.connectDealer(router.endpoint)
        let plain = try Transport(security: .insecure)
        let plainDealer = try plain.connectDealer(router.endpoint)
        let impostor = try Transport(security: .curveClient(keyPair: try pair("worker-1"), serverKey: try CurveKeyPair.generate().publicKey))
        let impostorDealer = try impostor.connectDealer(router.endpoint)
        for dealer in [strangerDealer, plainDealer, impostorDealer] { try dealer.send(frames: [Frame(Array("join".utf8))]) }
        XCTAssertTrue(eventually { transport.refusedHandshakes >= 1 })
        let fingerprint = try pair("worker-2").publicKey.fingerprint
        XCTAssertTrue(eventually { self.lines.all.contains { $0.contains("refused a connection from 127.0.0.1: key \(fingerprint) is not in") } },
                      lines.all.joined(separator: "\n"))
        XCTAssertNil(try router.receive(timeoutMilliseconds: 1000), "no unauthenticated message reaches the application")
        for dealer in [strangerDealer, plainDealer, impostorDealer] { XCTAssertNil(try dealer.receive(timeoutMilliseconds: 0)) }
        XCTAssertEqual(lines.all.filter { $0.contains(fingerprint) }.count, 1, "repeated refusals of one key are logged once")
    }

    func testBanAndDisconnectShutOutAnAdmittedKey() throws {
        let (transport, _) = try server()
        let router = try transport.bindRouter("tcp://127.0.0.1:0")
        let worker = try client("worker-1")
        let dealer = try worker.connectDealer(router.endpoint)
        try dealer.send(frames: [[1]])
        let first = try XCTUnwrap(try receive(router))
        transport.ban(try XCTUnwrap(first.key))
        XCTAssertTrue(router.disconnect(first.peer))
        XCTAssertFalse(router.disconnect(first.peer), "a second disconnect has nothing to close")
        XCTAssertTrue(eventually { transport.refusedHandshakes >= 1 }, "the dealer reconnects and is refused")
        XCTAssertTrue(eventually { (try? router.send([[2]], to: first.peer)) == .unreachable })
        try dealer.send(frames: [[3]])
        XCTAssertNil(try router.receive(timeoutMilliseconds: 1000))
        XCTAssertTrue(lines.all.contains { $0.contains("is banned for this run") }, lines.all.joined(separator: "\n"))
    }

    func testDisconnectClosesAnInsecurePeersConnection() throws {
        let transport = try Transport(security: .insecure)
        let router = try transport.bindRouter("tcp://127.0.0.1:0")
        let dealer = try transport.connectDealer(router.endpoint)
        try dealer.send(frames: [[1]])
        let first = try XCTUnwrap(try receive(router))
        XCTAssertNil(first.key)
        XCTAssertTrue(router.disconnect(first.peer))
        XCTAssertTrue(eventually { (try? router.send([[2]], to: first.peer)) == .unreachable })
        XCTAssertFalse(router.disconnect(PeerID([0, 1, 2])), "an unknown peer")
    }

    func testSendReportsAFullQueueInsteadOfBlocking() throws {
        var limits = TransportLimits()
        limits.sendQueueMessages = 2
        limits.lingerMilliseconds = 0
        let transport = try Transport(security: .insecure, limits: limits)
        let router = try transport.bindRouter("tcp://127.0.0.1:0")
        let dealer = try transport.connectDealer(router.endpoint)
        try dealer.send(frames: [[1]])
        let peer = try XCTUnwrap(try receive(router)).peer
        let frame = Frame([UInt8](repeating: 7, count: 1 << 20))
        var queued = 0
        var outcome = SendOutcome.queued
        // The dealer never reads: kernel buffers and the 2-message queue fill, then sends say so.
        while queued < 10_000 {
            outcome = try router.send([frame], to: peer)
            if outcome != .queued { break }
            queued += 1
        }
        XCTAssertEqual(outcome, .wouldBlock, "after \(queued) MiB queued")
        print("a peer that does not read: wouldBlock after \(queued) one-MiB messages (queue of 2 plus kernel buffers)")
        XCTAssertEqual(try router.send([[1]], to: PeerID(Array("nobody".utf8))), .unreachable)
        withExtendedLifetime(dealer) {}
    }

    func testEmptyMessagesAreRefused() throws {
        let transport = try Transport(security: .insecure)
        let router = try transport.bindRouter("inproc://empty-\(UUID().uuidString)")
        XCTAssertThrowsError(try router.send([], to: PeerID([1])))
        XCTAssertThrowsError(try transport.connectDealer(router.endpoint).send(frames: []))
    }

    func testMessagesWithTooManyFramesAreDroppedAndCounted() throws {
        var limits = TransportLimits()
        limits.maxFramesPerMessage = 4
        let transport = try Transport(security: .insecure, limits: limits)
        let router = try transport.bindRouter("inproc://frames-\(UUID().uuidString)")
        let dealer = try transport.connectDealer(router.endpoint)
        try dealer.send(frames: Array(repeating: [1], count: 5))
        try dealer.send(frames: Array(repeating: [2], count: 4))
        let message = try XCTUnwrap(try receive(router))
        XCTAssertEqual(message.frames, Array(repeating: [2], count: 4))
        XCTAssertEqual(router.droppedMessages, 1)
        XCTAssertFalse(router.disconnect(message.peer), "inproc has no connection to close")
    }

    func testFramesLargerThanTheRoutersLimitNeverArrive() throws {
        let transport = try Transport(security: .insecure)
        let router = try transport.bindRouter("tcp://127.0.0.1:0", maxFrameBytes: 1000)
        let dealer = try transport.connectDealer(router.endpoint)
        try dealer.send(frames: [Frame([UInt8](repeating: 1, count: 1001))])
        XCTAssertNil(try router.receive(timeoutMilliseconds: 1000))
        try dealer.send(frames: [Frame([UInt8](repeating: 2, count: 1000))])
        XCTAssertEqual(try receive(router)?.frames, [Frame([UInt8](repeating: 2, count: 1000))], "the dealer reconnects; a legal frame passes")
    }

    func testCurveOverInprocAndWrongRolesAreRefused() throws {
        let (transport, _) = try server()
        XCTAssertThrowsError(try transport.bindRouter("inproc://x")) { error in
            XCTAssertEqual(error as? TransportError, .curveOverInproc(endpoint: "inproc://x"))
        }
        XCTAssertThrowsError(try transport.connectDealer("tcp://127.0.0.1:9")) { XCTAssertTrue($0 is TransportError) }
        XCTAssertThrowsError(try client("worker-1").bindRouter("tcp://127.0.0.1:0")) { XCTAssertTrue($0 is TransportError) }
    }

    private func eventually(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        while MonotonicClock.now() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}

/// Lines reported from another thread (the ZAP handler's).
final class LineLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var append: @Sendable (String) -> Void { { [self] line in lock.lock(); lines.append(line); lock.unlock() } }

    var all: [String] {
        lock.lock(); defer { lock.unlock() }
        return lines
    }
}
