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

/// One ZeroMQ socket (ROUTER, DEALER, or the REP socket of a ZAP handler). Not thread-safe:
/// use it from one thread at a time.
///
/// Messages are multipart: `[Frame]`, one ``Frame`` per part. A router's received messages
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

    /// Publishes this socket's connection events (``ZMQConnectionEvent``: handshakes that
    /// succeeded or failed, connections closed, connection attempts that failed) on `endpoint`,
    /// an `inproc://` address a ``ZMQSocketKind/pair`` socket connects to and reads with
    /// ``connectionEvent(in:)`` (`zmq_socket_monitor`).
    /// - Throws: ``ZMQError`` if the endpoint is taken or not inproc://.
    public func monitorConnections(on endpoint: String) throws {
        let events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
            | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED
        _ = try check(zmq_socket_monitor(handle, endpoint, Int32(events)), "zmq_socket_monitor(\"\(endpoint)\")")
    }

    /// Stops publishing connection events. Call it before the socket that reads them closes:
    /// libzmq's I/O thread sends each event blocking, so an event for a reader that is gone
    /// would stall every connection of the context.
    public func stopMonitoring() {
        _ = zmq_socket_monitor(handle, nil, 0)
    }

    /// Makes closing this socket drop the messages it has not sent yet (`ZMQ_LINGER` 0),
    /// e.g. a join queued for a coordinator that never answered.
    /// - Throws: ``ZMQError`` if libzmq refuses the option.
    public func discardUnsentOnClose() throws {
        try set(ZMQ_LINGER, Int32(0), "ZMQ_LINGER")
    }

    /// The event a monitor message (two frames: 2-byte event and 4-byte value in host order,
    /// then the endpoint) reports, or `nil` for any other message.
    public static func connectionEvent(in frames: [Frame]) -> ZMQConnectionEvent? {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let event = frames[0].withUnsafeBytes { Int32($0.loadUnaligned(as: UInt16.self)) }
        let value = frames[0].withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 2, as: UInt32.self)) }
        switch event {
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return .handshakeFailed(.authentication(status: value))
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: return .handshakeFailed(.protocolError(code: value))
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return .handshakeFailed(.noDetail(errno: Int32(truncatingIfNeeded: value)))
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return .connected
        case ZMQ_EVENT_DISCONNECTED: return .disconnected
        case ZMQ_EVENT_CONNECT_RETRIED: return .connectRetried
        default: return nil
        }
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

    /// Frames of at least this many bytes move without a copy. Sent, libzmq reads them from the
    /// frame's own storage (`zmq_msg_init_data`) and releases it once written; received, the
    /// ``Frame`` keeps libzmq's message and is read in place. Smaller frames are copied
    /// (`zmq_send`, or into an array), which costs less than sharing them.
    public static let zeroCopyThreshold = 16 * 1024

    /// Sends `frames` as one multipart message (`ZMQ_SNDMORE` on all but the last frame); frames
    /// of ``zeroCopyThreshold`` bytes or more are not copied. Delivery is atomic: the peer
    /// receives all frames or none.
    /// - Returns: `false` if the send timed out on a full queue (see
    ///   ``ZMQSocketOptions/sendTimeoutMilliseconds``), `true` once the message is queued.
    /// - Throws: ``ZMQError``, e.g. `EHOSTUNREACH` from a router for an unknown routing id.
    @discardableResult
    public func send(frames: [Frame]) throws -> Bool {
        try send(frames, flags: 0)
    }

    /// Queues `frames` as one multipart message if that can be done without waiting
    /// (`ZMQ_DONTWAIT`): a router whose pipe to the addressed peer holds
    /// ``ZMQSocketOptions/sendHighWaterMark`` messages reports that instead of blocking.
    /// - Returns: `false` if the queue is full (nothing was queued), `true` once queued.
    /// - Throws: ``ZMQError``, e.g. `EHOSTUNREACH` from a router for an unknown routing id.
    public func trySend(frames: [Frame]) throws -> Bool {
        try send(frames, flags: ZMQ_DONTWAIT)
    }

    private func send(_ frames: [Frame], flags: Int32) throws -> Bool {
        guard !frames.isEmpty else { throw ZMQError(call: "zmq_send", errno: EINVAL, message: "a message needs at least one frame") }
        for (index, frame) in frames.enumerated() {
            let partFlags = flags | (index == frames.count - 1 ? 0 : ZMQ_SNDMORE)
            let sent = frame.count >= ZMQSocket.zeroCopyThreshold
                ? try sendInPlace(frame, flags: partFlags)
                : try frame.withUnsafeBytes { bytes in try check(zmq_send(handle, bytes.baseAddress, bytes.count, partFlags), "zmq_send") }
            // Only the first frame can block or report a full queue: once it is queued, libzmq
            // accepts the rest.
            if sent == nil { return false }
        }
        return true
    }

    /// Sends one frame from its storage. libzmq holds a reference to the ``FrameStorage`` until
    /// it has written the bytes (or until the unsent message is closed here) and then releases
    /// it on whichever thread lets go last.
    private func sendInPlace(_ frame: Frame, flags: Int32) throws -> Int32? {
        let storage = frame.storageForSending
        let hint = Unmanaged.passRetained(storage).toOpaque()
        var message = zmq_msg_t()
        guard zmq_msg_init_data(&message, UnsafeMutableRawPointer(mutating: storage.base), storage.count,
                                releaseSentFrame, hint) == 0 else {
            Unmanaged<FrameStorage>.fromOpaque(hint).release()
            throw ZMQError.last(call: "zmq_msg_init_data")
        }
        // A sent message is left empty, so closing it does nothing; an unsent one releases its frame.
        defer { zmq_msg_close(&message) }
        return try check(zmq_msg_send(&message, handle, flags), "zmq_msg_send")
    }

    /// Receives one multipart message with what libzmq knows of its sender, waiting at most
    /// `timeoutMilliseconds` (-1 = forever). A message of more than `maxFrames` frames is read
    /// to its end without being copied and returned with ``ZMQReceivedMessage/frames`` empty
    /// and ``ZMQReceivedMessage/excessFrames`` true.
    /// - Returns: the message, or `nil` if none arrived in time.
    /// - Throws: ``ZMQError`` if the socket fails.
    public func receiveMessage(timeoutMilliseconds: Int, maxFrames: Int) throws -> ZMQReceivedMessage? {
        try waitReadable(timeoutMilliseconds: timeoutMilliseconds) { try receiveAvailable(maxFrames: maxFrames) }
    }

    /// Receives one multipart message, waiting at most `timeoutMilliseconds` (-1 = forever,
    /// 0 = just check).
    /// - Returns: the frames, or `nil` if none arrived in time.
    /// - Throws: ``ZMQError`` if the socket fails.
    public func receive(timeoutMilliseconds: Int) throws -> [Frame]? {
        try waitReadable(timeoutMilliseconds: timeoutMilliseconds) { try receiveAvailable(maxFrames: Int.max)?.frames }
    }

    /// Polls until `read` returns a value or `timeoutMilliseconds` (-1 = forever) pass.
    private func waitReadable<Value>(timeoutMilliseconds: Int, _ read: () throws -> Value?) throws -> Value? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(timeoutMilliseconds))
        var wait = timeoutMilliseconds
        while true {
            if try ZMQSocket.pollReadable([self], timeoutMilliseconds: wait)[0], let value = try read() {
                return value
            }
            if timeoutMilliseconds >= 0 {
                let left = deadline - clock.now
                if left <= .zero { return nil }
                let (seconds, attoseconds) = left.components
                wait = Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            }
        }
    }

    /// Reads one whole message without blocking, or `nil` if none is queued. Frames beyond
    /// `maxFrames` are read and discarded (the message is then returned without frames).
    private func receiveAvailable(maxFrames: Int) throws -> ZMQReceivedMessage? {
        var received = ZMQReceivedMessage()
        var message = zmq_msg_t()
        _ = try check(zmq_msg_init(&message), "zmq_msg_init")
        defer { zmq_msg_close(&message) }
        var count = 0
        var more = true
        while more {
            // Parts after the first are already queued, so only the first can report EAGAIN.
            guard try check(zmq_msg_recv(&message, handle, ZMQ_DONTWAIT), "zmq_msg_recv") != nil else { return nil }
            more = zmq_msg_more(&message) != 0
            // A router's routing id frame lacks the properties when poll prefetched the
            // message, so they are read from the first frame that has them.
            if count < 2 && !received.hasProperties { received.readProperties(of: &message) }
            count += 1
            if count > maxFrames {
                received.excessFrames = true
                received.frames.removeAll()
                continue
            }
            let size = zmq_msg_size(&message)
            if size >= ZMQSocket.zeroCopyThreshold {
                // Moving leaves `message` empty, ready for the next part.
                received.frames.append(Frame(storage: try ReceivedFrameStorage(moving: &message)))
                continue
            }
            let data = zmq_msg_data(&message)
            received.frames.append(Frame([UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                if size > 0, let data { buffer.baseAddress!.update(from: data.assumingMemoryBound(to: UInt8.self), count: size) }
                count = size
            }))
        }
        return received
    }

    /// For each socket, then each file descriptor, whether it can be read within
    /// `timeoutMilliseconds` (-1 = wait until one can).
    /// - Throws: ``ZMQError`` if polling fails.
    static func pollReadable(_ sockets: [ZMQSocket], fileDescriptors: [Int32] = [], timeoutMilliseconds: Int) throws -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
            + fileDescriptors.map { zmq_pollitem_t(socket: nil, fd: $0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let ready = try check(zmq_poll(&items, Int32(items.count), timeoutMilliseconds), "zmq_poll")
        guard ready != nil else { return Array(repeating: false, count: items.count) }
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
        if let interval = options.handshakeIntervalMilliseconds {
            try set(ZMQ_HANDSHAKE_IVL, interval, "ZMQ_HANDSHAKE_IVL")
        }
        switch options.curve {
        case nil:
            break
        case let .server(secretKey, zapDomain):
            try set(ZMQ_CURVE_SERVER, Int32(1), "ZMQ_CURVE_SERVER")
            try setBytes(ZMQ_CURVE_SECRETKEY, secretKey, "ZMQ_CURVE_SECRETKEY")
            try setBytes(ZMQ_ZAP_DOMAIN, Array(zapDomain.utf8), "ZMQ_ZAP_DOMAIN")
            // Without this, libzmq admits any client that knows the server key when no ZAP
            // handler answers; with it, no handler means no admission.
            try set(zapEnforceDomain, Int32(1), "ZMQ_ZAP_ENFORCE_DOMAIN")
        case let .client(publicKey, secretKey, serverKey):
            try setBytes(ZMQ_CURVE_SERVERKEY, serverKey, "ZMQ_CURVE_SERVERKEY")
            try setBytes(ZMQ_CURVE_PUBLICKEY, publicKey, "ZMQ_CURVE_PUBLICKEY")
            try setBytes(ZMQ_CURVE_SECRETKEY, secretKey, "ZMQ_CURVE_SECRETKEY")
        }
        if let beat = options.heartbeat {
            try set(ZMQ_HEARTBEAT_IVL, beat.intervalMilliseconds, "ZMQ_HEARTBEAT_IVL")
            try set(ZMQ_HEARTBEAT_TIMEOUT, beat.timeoutMilliseconds, "ZMQ_HEARTBEAT_TIMEOUT")
            try set(ZMQ_HEARTBEAT_TTL, beat.ttlMilliseconds, "ZMQ_HEARTBEAT_TTL")
        }
        if let interval = options.reconnectIntervalMilliseconds {
            try set(ZMQ_RECONNECT_IVL, interval, "ZMQ_RECONNECT_IVL")
        }
        if let timeout = options.connectTimeoutMilliseconds {
            try set(ZMQ_CONNECT_TIMEOUT, timeout, "ZMQ_CONNECT_TIMEOUT")
        }
        if let keepalive = options.tcpKeepalive {
            try set(ZMQ_TCP_KEEPALIVE, Int32(1), "ZMQ_TCP_KEEPALIVE")
            try set(ZMQ_TCP_KEEPALIVE_IDLE, keepalive.idleSeconds, "ZMQ_TCP_KEEPALIVE_IDLE")
            try set(ZMQ_TCP_KEEPALIVE_INTVL, keepalive.intervalSeconds, "ZMQ_TCP_KEEPALIVE_INTVL")
            try set(ZMQ_TCP_KEEPALIVE_CNT, keepalive.probeCount, "ZMQ_TCP_KEEPALIVE_CNT")
        }
    }

    /// Sets a binary option (a key, a domain name).
    private func setBytes(_ option: Int32, _ bytes: [UInt8], _ name: String) throws {
        _ = try check(zmq_setsockopt(handle, option, bytes, bytes.count), "zmq_setsockopt(\(name))")
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

/// libzmq's free function for a frame sent in place: drops the reference ``ZMQSocket`` handed it.
private let releaseSentFrame: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
    if let hint { Unmanaged<FrameStorage>.fromOpaque(hint).release() }
}

/// A received frame's bytes left in libzmq's message, which is closed when the last ``Frame``
/// holding it is gone. Only large frames are kept this way: their bytes live in a buffer of
/// their own, outside the `zmq_msg_t`, so they stay put wherever the struct is.
private final class ReceivedFrameStorage: FrameStorage, @unchecked Sendable {
    private var message = zmq_msg_t()

    /// Takes over `source`'s content, leaving `source` an empty message.
    init(moving source: inout zmq_msg_t) throws {
        var message = zmq_msg_t()
        _ = try check(zmq_msg_init(&message), "zmq_msg_init")
        _ = try check(zmq_msg_move(&message, &source), "zmq_msg_move")
        let count = zmq_msg_size(&message)
        let base = UnsafeRawPointer(zmq_msg_data(&message))
        self.message = message
        super.init(base: base, count: count)
    }

    deinit { zmq_msg_close(&message) }
}

/// `ZMQ_ZAP_ENFORCE_DOMAIN` (93): a draft option in libzmq 4.3, compiled into the Debian and
/// Ubuntu builds but declared in `zmq.h` only under `ZMQ_BUILD_DRAFT_API`.
private let zapEnforceDomain: Int32 = 93

/// The sender's properties that libzmq attaches to a received message (`zmq_msg_gets`).
extension ZMQReceivedMessage {
    fileprivate mutating func readProperties(of message: inout zmq_msg_t) {
        peerAddress = zmq_msg_gets(&message, "Peer-Address").map { String(cString: $0) }
        userID = zmq_msg_gets(&message, "User-Id").map { String(cString: $0) }
        // ZMQ_SRCFD: -1 when there is no file descriptor (inproc://).
        let fd = zmq_msg_get(&message, ZMQ_SRCFD)
        sourceDescriptor = fd >= 0 ? fd : nil
    }

    fileprivate var hasProperties: Bool { peerAddress != nil || userID != nil || sourceDescriptor != nil }
}

/// CURVE key helpers of libzmq (`zmq_curve_keypair`, `zmq_curve_public`, Z85 text).
public enum ZMQCurve {
    /// Whether this libzmq was built with CURVE (libsodium).
    public static var isAvailable: Bool { zmq_has("curve") != 0 }

    /// A fresh random key pair, 32 bytes each.
    /// - Throws: ``ZMQError`` if libzmq has no CURVE support.
    public static func makeKeyPair() throws -> (publicKey: [UInt8], secretKey: [UInt8]) {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        _ = try check(zmq_curve_keypair(&publicText, &secretText), "zmq_curve_keypair")
        guard let publicKey = z85Decode(String(cString: publicText)), let secretKey = z85Decode(String(cString: secretText)) else {
            throw ZMQError(call: "zmq_curve_keypair", errno: EINVAL, message: "libzmq returned an undecodable key")
        }
        return (publicKey, secretKey)
    }

    /// The public key that belongs to the 32-byte `secretKey`.
    /// - Throws: ``ZMQError`` for a key of the wrong length or without CURVE support.
    public static func publicKey(secretKey: [UInt8]) throws -> [UInt8] {
        guard secretKey.count == 32, let secretText = z85Encode(secretKey) else {
            throw ZMQError(call: "zmq_curve_public", errno: EINVAL, message: "a secret key has 32 bytes, not \(secretKey.count)")
        }
        var publicText = [CChar](repeating: 0, count: 41)
        _ = try check(zmq_curve_public(&publicText, secretText), "zmq_curve_public")
        guard let publicKey = z85Decode(String(cString: publicText)) else {
            throw ZMQError(call: "zmq_curve_public", errno: EINVAL, message: "libzmq returned an undecodable key")
        }
        return publicKey
    }

    /// Z85 text (ZeroMQ RFC 32) of `bytes`, or `nil` unless the length is a multiple of 4.
    public static func z85Encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var text = [CChar](repeating: 0, count: bytes.count / 4 * 5 + 1)
        guard zmq_z85_encode(&text, bytes, bytes.count) != nil else { return nil }
        return String(cString: text)
    }

    /// The bytes of Z85 `text`, or `nil` for a length not a multiple of 5 or a character
    /// outside the Z85 alphabet.
    public static func z85Decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard !characters.isEmpty, characters.count % 5 == 0, !characters.contains(0) else { return nil }
        var bytes = [UInt8](repeating: 0, count: characters.count / 5 * 4)
        guard zmq_z85_decode(&bytes, text) != nil else { return nil }
        return bytes
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
        case .reply: return ZMQ_REP
        case .pair: return ZMQ_PAIR
        }
    }
}
