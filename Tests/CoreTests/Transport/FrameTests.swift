import Foundation
import XCTest
@testable import Core

/// Large frames cross the socket without user-space copies: sent from the frame's own storage
/// (released by libzmq once written), received into a frame that keeps libzmq's message, and
/// decoded into gradients and parameters that read that frame in place.
final class FrameTests: XCTestCase {
    private let wait = 5000
    private var context: ZMQContext!

    override func setUpWithError() throws { context = try ZMQContext() }
    override func tearDown() { context = nil }

    private func pair(_ endpoint: String) throws -> (router: ZMQSocket, dealer: ZMQSocket) {
        var options = ZMQSocketOptions()
        options.lingerMilliseconds = 0
        let router = try ZMQSocket(context: context, kind: .router, options: options)
        try router.bind(endpoint)
        options.routingID = Array("w".utf8)
        let dealer = try ZMQSocket(context: context, kind: .dealer, options: options)
        try dealer.connect(try router.lastEndpoint)
        return (router, dealer)
    }

    private func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + 10
        while MonotonicClock.now() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    private func base(_ frame: Frame) -> UnsafeRawPointer? { frame.withUnsafeBytes { $0.baseAddress } }

    func testLargeFramesTravelFromTheirStorageAndAreReleased() throws {
        let ipc = "/tmp/distill-frame-\(ProcessInfo.processInfo.globallyUniqueString).ipc"
        defer { try? FileManager.default.removeItem(atPath: ipc) }
        for endpoint in ["tcp://127.0.0.1:0", "ipc://\(ipc)", "inproc://frames-\(UUID().uuidString)"] {
            let (router, dealer) = try pair(endpoint)
            var bytes = (0..<(ZMQSocket.zeroCopyThreshold * 4 + 3)).map { UInt8(truncatingIfNeeded: $0 &* 131 >> 3) }
            let original = bytes
            let tracked = Array(original.reversed())
            weak var sentStorage: FrameStorage?
            var sentBase: UnsafeRawPointer?
            do {
                let storage = TestStorage(copying: tracked, offset: 0)
                sentStorage = storage
                sentBase = storage.base
                XCTAssertTrue(try dealer.send(frames: [[1], Frame(bytes), Frame(storage: storage), [2]]), endpoint)
            }
            // The caller's array is its own: writing it copies, and the frame in flight keeps its bytes.
            bytes[0] ^= 0xFF
            var received = try XCTUnwrap(router.receive(timeoutMilliseconds: wait), endpoint)
            XCTAssertEqual(received.count, 5, endpoint)
            XCTAssertEqual(received[1], [1], endpoint)
            XCTAssertEqual(received[2], Frame(original), endpoint)
            XCTAssertEqual(received[3], Frame(tracked), endpoint)
            XCTAssertEqual(received[4], [2], endpoint)
            if endpoint.hasPrefix("inproc://") {
                // In one process libzmq hands the message over: the receiver reads the sender's bytes.
                XCTAssertEqual(base(received[3]), sentBase, "inproc: no copy at all")
            } else {
                XCTAssertNotEqual(base(received[3]), sentBase, "\(endpoint): the received frame holds libzmq's message")
            }
            received.removeAll()
            XCTAssertTrue(eventually { sentStorage == nil }, "\(endpoint): libzmq released the sent frame")
        }
    }

    /// A dealer with no peer has no queue: the frame handed to libzmq is refused (EAGAIN) and the
    /// closed message gives it back at once.
    func testAFrameThatIsNotSentIsReleasedAtOnce() throws {
        var options = ZMQSocketOptions()
        options.lingerMilliseconds = 0
        let lonely = try ZMQSocket(context: context, kind: .dealer, options: options)
        weak var sentStorage: FrameStorage?
        do {
            let storage = TestStorage(copying: [UInt8](repeating: 3, count: ZMQSocket.zeroCopyThreshold), offset: 0)
            sentStorage = storage
            XCTAssertFalse(try lonely.trySend(frames: [Frame(storage: storage), [1]]), "nothing can be queued without a peer")
        }
        XCTAssertNil(sentStorage, "the unsent message gave its frame back")
    }

    /// A result's float32 gradients are the executor's array on the way out and the received
    /// frame on the way in: the decoded values live where the frame's bytes are.
    func testGradientsAndParametersDecodeInPlace() throws {
        let gradients = FloatValues((0..<10_000).map { Float($0) * 0.25 - 7 })
        let result = ShardResult(shardIndex: 1, loss: LossSums(total: 2, hard: 1, soft: 1, correct: 1, count: 2),
                                 batchStatistics: [0.5, 1], gradients: gradients, computeSeconds: 0.01)
        let frames = WireCodec.encode(.result(result), runID: 5, step: 3, parameterVersion: 2)
        let gradientFrame = try XCTUnwrap(frames.last)
        XCTAssertEqual(base(gradientFrame), gradients.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }, "encoded without a copy")
        guard case let .result(decoded) = try WireCodec.decode(frames).message else { return XCTFail("not a result") }
        XCTAssertEqual(decoded, result)
        XCTAssertEqual(decoded.gradients.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }, base(gradientFrame),
                       "decoded without a copy")

        let parameters: [Float] = (0..<5000).map { Float($0) / 3 }
        let parameterFrames = parameters.withUnsafeBufferPointer { p in
            WireCodec.encodeParameters(version: 2, parameters: p, state: UnsafeBufferPointer(start: nil, count: 0), runID: 5, step: 3)
        }
        guard case let .parameters(p) = try WireCodec.decode(parameterFrames).message else { return XCTFail("not parameters") }
        XCTAssertEqual(Array(p.parameters), parameters)
        XCTAssertEqual(p.parameters.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }, base(parameterFrames[2]))
    }

    /// A bulk frame whose bytes are not 4-byte aligned (libzmq may place a small frame anywhere
    /// in its buffer) is copied rather than read in place, and decodes to the same values.
    func testUnalignedFloatFramesAreCopied() throws {
        let values: [Float] = [1.5, -2, .pi, 1e-30, 0]
        let unaligned = Frame(storage: TestStorage(copying: values.withUnsafeBytes { Array($0) }, offset: 1))
        XCTAssertNil(FloatValues(frame: unaligned))
        XCTAssertNil(FloatValues(frame: Frame([0, 0, 0])), "not a whole number of floats")
        var w = WireWriter()
        w.integer(UInt64(1))
        w.int(values.count, "parameters")
        w.int(0, "state")
        w.bulk(frame: unaligned)
        w.bulk([Float]())
        let frames = WireCodec.sealed(w.frames, kind: .parameters, runID: 1, step: 0, parameterVersion: 1)
        guard case let .parameters(p) = try WireCodec.decode(frames).message else { return XCTFail("not parameters") }
        XCTAssertEqual(Array(p.parameters), values)
    }

    func testWritingFrameHeldValuesCopiesThem() throws {
        let frames = WireCodec.encode(.parameters(ParametersPayload(version: 1, parameters: [1, 2, 3], state: [])),
                                      runID: 1, step: 0, parameterVersion: 1)
        guard case let .parameters(p) = try WireCodec.decode(frames).message else { return XCTFail("not parameters") }
        var values = p.parameters
        values[1] = 20
        XCTAssertEqual(Array(values), [1, 20, 3])
        XCTAssertEqual(Array(p.parameters), [1, 2, 3], "the frame is unchanged")
        XCTAssertEqual(frames[2], Frame(floats: [1, 2, 3]))
    }
}

/// Bytes in memory of the test's own, `offset` bytes past a 16-byte boundary (1: unaligned, as a
/// frame inside libzmq's receive buffer can be), so a test can see when the last reference goes.
private final class TestStorage: FrameStorage, @unchecked Sendable {
    private let allocation: UnsafeMutableRawPointer

    init(copying bytes: [UInt8], offset: Int) {
        let allocation = UnsafeMutableRawPointer.allocate(byteCount: bytes.count + offset, alignment: 16)
        bytes.withUnsafeBytes { (allocation + offset).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        self.allocation = allocation
        super.init(base: UnsafeRawPointer(allocation + offset), count: bytes.count)
    }

    deinit { allocation.deallocate() }
}
