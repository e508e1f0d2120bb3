import Foundation
import XCTest
@testable import Core

/// Real sockets over loopback TCP, IPC and inproc, with bounded waits and no fixed ports.
final class ZMQSocketTests: XCTestCase {
    private let wait = 5000
    private var context: ZMQContext!

    override func setUpWithError() throws {
        context = try ZMQContext()
    }

    override func tearDown() {
        context = nil
    }

    private var quickClose: ZMQSocketOptions {
        var options = ZMQSocketOptions()
        options.lingerMilliseconds = 0
        return options
    }

    /// A router bound to `endpoint` and a dealer with routing id `id` connected to it.
    private func pair(_ endpoint: String, id: String = "worker-1") throws -> (router: ZMQSocket, dealer: ZMQSocket) {
        let router = try ZMQSocket(context: context, kind: .router, options: quickClose)
        try router.bind(endpoint)
        var options = quickClose
        options.routingID = Array(id.utf8)
        let dealer = try ZMQSocket(context: context, kind: .dealer, options: options)
        try dealer.connect(try router.lastEndpoint)
        return (router, dealer)
    }

    /// Dealer → router multipart with the routing id prepended, then router → dealer by that id.
    private func exchange(_ router: ZMQSocket, _ dealer: ZMQSocket, id: String = "worker-1") throws {
        try XCTAssertTrue(dealer.send(frames: [[1, 2, 3], [], [4]]))
        let received = try XCTUnwrap(router.receive(timeoutMilliseconds: wait), "router got nothing")
        XCTAssertEqual(received, [Frame(Array(id.utf8)), [1, 2, 3], [], [4]])
        try router.send(frames: [received[0], Frame(Array("hello".utf8)), [9]])
        XCTAssertEqual(try dealer.receive(timeoutMilliseconds: wait), [Frame(Array("hello".utf8)), [9]])
    }

    func testRouterDealerOverTCPLoopbackWithEphemeralPort() throws {
        let (router, dealer) = try pair("tcp://127.0.0.1:0")
        let endpoint = try router.lastEndpoint
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint)
        XCTAssertNotEqual(endpoint, "tcp://127.0.0.1:0")
        try exchange(router, dealer)
    }

    func testRouterDealerOverIPC() throws {
        let path = "/tmp/distill-test-\(ProcessInfo.processInfo.globallyUniqueString).ipc"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (router, dealer) = try pair("ipc://\(path)")
        XCTAssertEqual(try router.lastEndpoint, "ipc://\(path)")
        try exchange(router, dealer)
    }

    func testRouterDealerOverInproc() throws {
        let (router, dealer) = try pair("inproc://distill-\(ProcessInfo.processInfo.globallyUniqueString)")
        try exchange(router, dealer)
    }

    func testRouterTellsDealersApartByRoutingID() throws {
        let (router, first) = try pair("tcp://127.0.0.1:0", id: "a")
        var options = quickClose
        options.routingID = Array("b".utf8)
        let second = try ZMQSocket(context: context, kind: .dealer, options: options)
        try second.connect(try router.lastEndpoint)
        try first.send(frames: [[1]])
        try second.send(frames: [[2]])
        var seen: [[UInt8]: [UInt8]] = [:]
        for _ in 0..<2 {
            let message = try XCTUnwrap(router.receive(timeoutMilliseconds: wait))
            seen[message[0].bytes] = message[1].bytes
        }
        XCTAssertEqual(seen, [Array("a".utf8): [1], Array("b".utf8): [2]])
        try router.send(frames: [Frame(Array("b".utf8)), [20]])
        try router.send(frames: [Frame(Array("a".utf8)), [10]])
        XCTAssertEqual(try first.receive(timeoutMilliseconds: wait), [[10]])
        XCTAssertEqual(try second.receive(timeoutMilliseconds: wait), [[20]])
    }

    func testReceiveTimeoutReturnsNil() throws {
        let (router, dealer) = try pair("tcp://127.0.0.1:0")
        XCTAssertNil(try dealer.receive(timeoutMilliseconds: 50))
        XCTAssertNil(try router.receive(timeoutMilliseconds: 0))
    }

    func testSixteenMegabyteFrame() throws {
        let (router, dealer) = try pair("tcp://127.0.0.1:0")
        let big = (0..<(16 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        try dealer.send(frames: [[7], Frame(big)])
        let received = try XCTUnwrap(router.receive(timeoutMilliseconds: 30_000))
        XCTAssertEqual(received.count, 3)
        XCTAssertEqual(received[1], [7])
        XCTAssertTrue(received[2] == Frame(big), "16 MiB frame differs")
    }

    func testWireMessageCrossesTheSocket() throws {
        let (router, dealer) = try pair("tcp://127.0.0.1:0")
        let sample = WireSample.all.first { $0.message.kind == .task }!
        try dealer.send(frames: sample.frames.frames)
        let received = try XCTUnwrap(router.receive(timeoutMilliseconds: wait))
        let (header, message) = try WireCodec.decode(Array(received.dropFirst()))
        XCTAssertEqual(message, sample.message)
        XCTAssertEqual(header.runID, sample.runID)
    }

    func testMalformedEndpointsThrowZMQError() throws {
        let socket = try ZMQSocket(context: context, kind: .dealer, options: quickClose)
        for (endpoint, code) in [("tcp://", EINVAL), ("no-transport", EINVAL), ("bogus://x", EPROTONOSUPPORT)] {
            XCTAssertThrowsError(try socket.connect(endpoint), endpoint) { error in
                guard let error = error as? ZMQError else { return XCTFail("\(endpoint): \(error)") }
                XCTAssertEqual(error.errno, code, "\(endpoint): \(error)")
                XCTAssertEqual(error.call, "zmq_connect(\"\(endpoint)\")")
                XCTAssertTrue(error.description.contains(endpoint), error.description)
            }
        }
    }

    func testBindingAnAddressInUseThrows() throws {
        let (router, _) = try pair("tcp://127.0.0.1:0")
        let other = try ZMQSocket(context: context, kind: .router, options: quickClose)
        XCTAssertThrowsError(try other.bind(try router.lastEndpoint)) { error in
            XCTAssertEqual((error as? ZMQError)?.errno, EADDRINUSE, "\(error)")
        }
    }

    func testMandatoryRouterRejectsUnknownRoutingID() throws {
        let (router, _) = try pair("tcp://127.0.0.1:0")
        XCTAssertThrowsError(try router.send(frames: [Frame(Array("nobody".utf8)), [1]])) { error in
            XCTAssertEqual((error as? ZMQError)?.errno, EHOSTUNREACH, "\(error)")
        }
    }

    func testInvalidOptionNamesTheOption() {
        var options = quickClose
        options.routingID = []
        XCTAssertThrowsError(try ZMQSocket(context: context, kind: .dealer, options: options)) { error in
            XCTAssertEqual((error as? ZMQError)?.call, "zmq_setsockopt(ZMQ_ROUTING_ID)", "\(error)")
        }
    }

    func testOptionalSettingsAreAccepted() throws {
        var options = quickClose
        options.tcpKeepalive = ZMQSocketOptions.TCPKeepalive()
        options.heartbeat = nil
        options.maxMessageBytes = -1
        options.sendTimeoutMilliseconds = 100
        options.routerMandatory = false
        XCTAssertNoThrow(try ZMQSocket(context: context, kind: .router, options: options))
        XCTAssertNoThrow(try ZMQSocket(context: context, kind: .dealer, options: options))
    }
}
