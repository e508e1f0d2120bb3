import CZMQ
#if canImport(Glibc)
import Glibc
#endif

// The one file in Distill that calls libzmq. Every call goes through `check`, which retries
// EINTR, turns EAGAIN into `nil` and throws `ZMQError` for anything else; no C pointer leaves
// this file.

/// A libzmq context: the I/O threads all sockets of a process share. Create one per process
/// and pass it to every ``ZMQSocket``; it is terminated when the last socket and the last
/// reference are gone. Thread-safe.
public final class ZMQContext: @unchecked Sendable {
    fileprivate let handle: UnsafeMutableRawPointer

    /// A new context with libzmq's default single I/O thread.
    /// - Throws: ``ZMQError`` if libzmq cannot create one (e.g. out of file descriptors).
    public init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last(call: "zmq_ctx_new") }
        self.handle = handle
    }

    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}

/// One ROUTER or DEALER socket. Not thread-safe: use it from one thread at a time.
///
/// Messages are multipart: `[[UInt8]]`, one array per frame. A router's received messages
/// start with the sender's routing id frame, and a message it sends must start with the
/// destination's routing id frame. The socket closes in `deinit` after its linger period.
public final class ZMQSocket {
    /// Which pattern this socket implements.
    public let kind: ZMQSocketKind
    private let context: ZMQContext
    private let handle: UnsafeMutableRawPointer

    /// Creates a socket of `kind` in `context` and applies `options`.
    /// - Throws: ``ZMQError`` naming the option libzmq refused.
    public init(context: ZMQContext, kind: ZMQSocketKind, options: ZMQSocketOptions = ZMQSocketOptions()) throws {
        guard let handle = zmq_socket(context.handle, kind.zmqType) else {
            throw ZMQError.last(call: "zmq_socket")
        }
        self.kind = kind
        self.context = context
        self.handle = handle
        try apply(options)
    }

    deinit { zmq_close(handle) }

    /// Binds to `endpoint` (`tcp://host:port`, `tcp://127.0.0.1:0` for any free port,
    /// `ipc:///path`, `inproc://name`). Read ``lastEndpoint`` for the address actually bound.
    /// - Throws: ``ZMQError`` for a malformed endpoint or an address already in use.
    public func bind(_ endpoint: String) throws {
        _ = try check(zmq_bind(handle, endpoint), "zmq_bind(\"\(endpoint)\")")
    }

    /// Connects to `endpoint`; the connection is made (and remade) in the background.
    /// - Throws: ``ZMQError`` for a malformed endpoint or unsupported transport.
    public func connect(_ endpoint: String) throws {
        _ = try check(zmq_connect(handle, endpoint), "zmq_connect(\"\(endpoint)\")")
    }

    /// The endpoint of the last bind or connect, with a wildcard port resolved
    /// (e.g. `tcp://127.0.0.1:41237`).
    /// - Throws: ``ZMQError`` if libzmq cannot report it.
    public var lastEndpoint: String {
        get throws {
            var buffer = [CChar](repeating: 0, count: 1024)
            var size = buffer.count
            _ = try check(zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size), "zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Sends `frames` as one multipart message (`ZMQ_SNDMORE` on all but the last frame).
    /// Delivery is atomic: the peer receives all frames or none.
    /// - Returns: `false` if the send timed out on a full queue (see
    ///   ``ZMQSocketOptions/sendTimeoutMilliseconds``), `true` once the message is queued.
    /// - Throws: ``ZMQError``, e.g. `EHOSTUNREACH` from a router for an unknown routing id.
    @discardableResult
    public func send(frames: [[UInt8]]) throws -> Bool {
        try send(frames: frames, dontWait: 0)
    }

    /// Sends `frames` as one multipart message only if it can be queued without blocking
    /// (`ZMQ_DONTWAIT`); a router with ``ZMQSocketOptions/routerMandatory`` reports a full
    /// per-peer queue this way.
    /// - Returns: `false` if the peer's queue is full (nothing was queued), `true` once the message is queued.
    /// - Throws: ``ZMQError``, e.g. `EHOSTUNREACH` from a router for an unknown routing id.
    public func sendWithoutBlocking(frames: [[UInt8]]) throws -> Bool {
        try send(frames: frames, dontWait: ZMQ_DONTWAIT)
    }

    private func send(frames: [[UInt8]], dontWait: Int32) throws -> Bool {
        precondition(!frames.isEmpty, "a ZeroMQ message has at least one frame")
        for (index, frame) in frames.enumerated() {
            let flags = (index == frames.count - 1 ? 0 : ZMQ_SNDMORE) | dontWait
            let sent = try frame.withUnsafeBytes { bytes in
                try check(zmq_send(handle, bytes.baseAddress, bytes.count, flags), "zmq_send")
            }
            // Only the first frame can block: once it is queued, libzmq accepts the rest.
            if sent == nil { return false }
        }
        return true
    }

    /// Receives one multipart message, waiting at most `timeoutMilliseconds` (-1 = forever,
    /// 0 = just check). Frames after the first `maxFrames + 1` are read and discarded, so a
    /// caller that expects at most `maxFrames` sees the excess without storing it.
    /// - Returns: the frames, or `nil` if none arrived in time.
    /// - Throws: ``ZMQError`` if the socket fails.
    public func receive(timeoutMilliseconds: Int, maxFrames: Int = .max) throws -> [[UInt8]]? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(timeoutMilliseconds))
        var wait = timeoutMilliseconds
        while true {
            if try ZMQSocket.pollReadable([self], timeoutMilliseconds: wait)[0], let frames = try receiveAvailable(maxFrames: maxFrames) {
                return frames
            }
            if timeoutMilliseconds >= 0 {
                let left = deadline - clock.now
                if left <= .zero { return nil }
                let (seconds, attoseconds) = left.components
                wait = Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            }
        }
    }

    /// Reads one whole message without blocking, or `nil` if none is queued.
    private func receiveAvailable(maxFrames: Int) throws -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        var message = zmq_msg_t()
        _ = try check(zmq_msg_init(&message), "zmq_msg_init")
        defer { zmq_msg_close(&message) }
        repeat {
            // Parts after the first are already queued, so only the first can report EAGAIN.
            guard try check(zmq_msg_recv(&message, handle, ZMQ_DONTWAIT), "zmq_msg_recv") != nil else { return nil }
            if frames.count > maxFrames { continue }
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message)
            frames.append([UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                if size > 0, let data { buffer.baseAddress!.update(from: data.assumingMemoryBound(to: UInt8.self), count: size) }
                count = size
            })
        } while zmq_msg_more(&message) != 0
        return frames
    }

    /// For each socket, whether a message can be received within `timeoutMilliseconds`
    /// (-1 = wait until one can).
    /// - Throws: ``ZMQError`` if polling fails.
    static func pollReadable(_ sockets: [ZMQSocket], timeoutMilliseconds: Int) throws -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let ready = try check(zmq_poll(&items, Int32(items.count), timeoutMilliseconds), "zmq_poll")
        guard ready != nil else { return Array(repeating: false, count: sockets.count) }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }

    private func apply(_ options: ZMQSocketOptions) throws {
        try set(ZMQ_SNDHWM, options.sendHighWaterMark, "ZMQ_SNDHWM")
        try set(ZMQ_RCVHWM, options.receiveHighWaterMark, "ZMQ_RCVHWM")
        try set(ZMQ_LINGER, options.lingerMilliseconds, "ZMQ_LINGER")
        try set(ZMQ_SNDTIMEO, options.sendTimeoutMilliseconds, "ZMQ_SNDTIMEO")
        try set(ZMQ_MAXMSGSIZE, options.maxMessageBytes, "ZMQ_MAXMSGSIZE")
        if let id = options.routingID {
            _ = try check(zmq_setsockopt(handle, ZMQ_ROUTING_ID, id, id.count), "zmq_setsockopt(ZMQ_ROUTING_ID)")
        }
        if kind == .router {
            try set(ZMQ_ROUTER_MANDATORY, Int32(options.routerMandatory ? 1 : 0), "ZMQ_ROUTER_MANDATORY")
        }
        if let beat = options.heartbeat {
            try set(ZMQ_HEARTBEAT_IVL, beat.intervalMilliseconds, "ZMQ_HEARTBEAT_IVL")
            try set(ZMQ_HEARTBEAT_TIMEOUT, beat.timeoutMilliseconds, "ZMQ_HEARTBEAT_TIMEOUT")
            try set(ZMQ_HEARTBEAT_TTL, beat.ttlMilliseconds, "ZMQ_HEARTBEAT_TTL")
        }
        if let keepalive = options.tcpKeepalive {
            try set(ZMQ_TCP_KEEPALIVE, Int32(1), "ZMQ_TCP_KEEPALIVE")
            try set(ZMQ_TCP_KEEPALIVE_IDLE, keepalive.idleSeconds, "ZMQ_TCP_KEEPALIVE_IDLE")
            try set(ZMQ_TCP_KEEPALIVE_INTVL, keepalive.intervalSeconds, "ZMQ_TCP_KEEPALIVE_INTVL")
            try set(ZMQ_TCP_KEEPALIVE_CNT, keepalive.probeCount, "ZMQ_TCP_KEEPALIVE_CNT")
        }
    }

    /// Sets an integer option (`Int32` or `Int64`, whichever libzmq expects for `option`).
    private func set<Value: FixedWidthInteger>(_ option: Int32, _ value: Value, _ name: String) throws {
        var value = value
        _ = try check(zmq_setsockopt(handle, option, &value, MemoryLayout<Value>.size), "zmq_setsockopt(\(name))")
    }
}

/// The result of a libzmq call returning `rc`: `rc` itself when it succeeded, `nil` for EAGAIN
/// (timeout or would block). Throws ``ZMQError`` naming `call` for any other failure. EINTR is
/// retried by re-evaluating `rc`, which is why it is an autoclosure.
private func check(_ rc: @autoclosure () -> Int32, _ call: @autoclosure () -> String) throws -> Int32? {
    while true {
        let result = rc()
        if result >= 0 { return result }
        let code = zmq_errno()
        if code == EINTR { continue }
        if code == EAGAIN { return nil }
        throw ZMQError(call: call(), errno: code, message: String(cString: zmq_strerror(code)))
    }
}

extension ZMQError {
    /// The error libzmq reports for the call that just failed.
    fileprivate static func last(call: String) -> ZMQError {
        let code = zmq_errno()
        return ZMQError(call: call, errno: code, message: String(cString: zmq_strerror(code)))
    }
}

extension ZMQSocketKind {
    /// The libzmq socket type constant.
    fileprivate var zmqType: Int32 {
        switch self {
        case .router: return ZMQ_ROUTER
        case .dealer: return ZMQ_DEALER
        }
    }
}
