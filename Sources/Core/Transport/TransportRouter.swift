import Glibc

/// A peer of a ``TransportRouter``: the routing id libzmq gave its connection.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    /// The routing id bytes (the first frame of every message to or from the peer).
    public let bytes: [UInt8]

    /// The peer with routing id `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The routing id as text when it is printable ASCII, else as hexadecimal.
    public var description: String {
        if !bytes.isEmpty, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return String(decoding: bytes, as: UTF8.self) }
        return "0x" + SHA256.hexString(bytes)
    }
}

/// A message a ``TransportRouter`` received, with who sent it.
public struct InboundMessage: Sendable, Equatable {
    /// The sender.
    public let peer: PeerID
    /// The frames after the routing id.
    public let frames: [Frame]
    /// The sender's IP address (TCP, no port); `nil` for ipc:// and inproc://.
    public let peerAddress: String?
    /// The CURVE public key the sender authenticated with (checked by the ZAP handler);
    /// `nil` on an insecure transport.
    public let key: CurvePublicKey?

    /// The sender for logs: routing id, then address and key fingerprint when known,
    /// e.g. `w1 (10.0.0.7, key sha256:3f09c1e2a4b7)`.
    public var sender: String {
        let known = [peerAddress, key.map { "key \($0.fingerprint)" }].compactMap { $0 }
        return known.isEmpty ? "\(peer)" : "\(peer) (\(known.joined(separator: ", ")))"
    }
}

/// What became of a message given to ``TransportRouter/send(_:to:)``.
public enum SendOutcome: Equatable, Sendable {
    /// Queued for the peer.
    case queued
    /// The peer's queue is full (it is not reading): nothing was queued.
    case wouldBlock
    /// No connection has that routing id (it disconnected).
    case unreachable
}

/// The coordinator's ROUTER socket as a ``Transport`` made it. Sends never block; received
/// messages carry their sender's routing id, address and authenticated key; one peer can be
/// disconnected. Not thread-safe: use it from one thread.
public final class TransportRouter {
    /// The endpoint actually bound (with the real port for `tcp://host:0`).
    public let endpoint: String
    /// Messages dropped for having more than ``TransportLimits/maxFramesPerMessage`` frames.
    public private(set) var droppedMessages = 0
    private let socket: ZMQSocket
    private let maxFramesPerMessage: Int
    /// Keeps the context and the ZAP handler alive as long as the socket.
    private let transport: Transport
    /// The connection (file descriptor and its socket inode) each peer was last heard on.
    private var connections: [PeerID: Connection] = [:]

    private struct Connection {
        let descriptor: Int32
        let inode: UInt64
    }

    init(transport: Transport, socket: ZMQSocket, endpoint: String) {
        self.transport = transport
        self.socket = socket
        self.endpoint = endpoint
        maxFramesPerMessage = transport.limits.maxFramesPerMessage
    }

    /// The next message, waiting at most `timeoutMilliseconds` (-1 = forever, 0 = just
    /// check). Messages with too many frames (or no frame after the routing id) are dropped
    /// and counted in ``droppedMessages``.
    /// - Throws: ``ZMQError`` if the socket fails.
    public func receive(timeoutMilliseconds: Int) throws -> InboundMessage? {
        // One more frame than the application may see: the routing id.
        guard let message = try socket.receiveMessage(timeoutMilliseconds: timeoutMilliseconds, maxFrames: maxFramesPerMessage + 1) else {
            return nil
        }
        guard !message.excessFrames, message.frames.count >= 2 else {
            droppedMessages += 1
            return nil
        }
        let peer = PeerID(message.frames[0].bytes)
        remember(peer, descriptor: message.sourceDescriptor)
        return InboundMessage(peer: peer, frames: Array(message.frames.dropFirst()), peerAddress: message.peerAddress,
                              key: message.userID.flatMap(CurvePublicKey.init(z85:)))
    }

    /// Queues `frames` (at least one) for `peer` without ever waiting.
    /// - Throws: ``ZMQError`` for no frames, or for anything but a full queue or an unknown peer.
    public func send(_ frames: [Frame], to peer: PeerID) throws -> SendOutcome {
        guard !frames.isEmpty else { throw ZMQError(call: "zmq_send", errno: EINVAL, message: "a message needs at least one frame") }
        do {
            return try socket.trySend(frames: [Frame(peer.bytes)] + frames) ? .queued : .wouldBlock
        } catch let error as ZMQError where error.errno == EHOSTUNREACH {
            return .unreachable
        }
    }

    /// Closes `peer`'s connection now: shuts down the socket its last message came on
    /// (`shutdown(SHUT_RDWR)`), so libzmq drops the connection and frees its queues. The
    /// peer may reconnect (a banned CURVE key is then refused by the ZAP handler).
    /// - Returns: `false` if nothing was closed: no message from `peer` was seen, its
    ///   connection is gone already (the descriptor now names another socket), or it is an
    ///   `inproc://` peer, which has no socket to close (forget it instead).
    @discardableResult
    public func disconnect(_ peer: PeerID) -> Bool {
        guard let connection = connections.removeValue(forKey: peer),
              TransportRouter.inode(of: connection.descriptor) == connection.inode else { return false }
        return shutdown(connection.descriptor, Int32(SHUT_RDWR)) == 0
    }

    /// Forgets what is known of `peer`'s connection (call when the peer is dropped).
    public func forget(_ peer: PeerID) { connections[peer] = nil }

    private func remember(_ peer: PeerID, descriptor: Int32?) {
        guard let descriptor else { return }
        if let known = connections[peer], known.descriptor == descriptor { return }
        guard let inode = TransportRouter.inode(of: descriptor) else { return }
        // Bounded: peers that vanished without being forgotten are evicted wholesale.
        if connections.count >= 65536 { connections.removeAll() }
        connections[peer] = Connection(descriptor: descriptor, inode: inode)
    }

    /// The inode of the socket `descriptor` refers to (unique among open sockets), or `nil`
    /// if it is not an open socket.
    private static func inode(of descriptor: Int32) -> UInt64? {
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK else { return nil }
        return UInt64(info.st_ino)
    }
}

/// A worker's DEALER socket as a ``Transport`` made it. Not thread-safe: use it from one thread.
public final class TransportDealer {
    /// The coordinator address it connects to.
    public let endpoint: String
    /// Messages dropped for having more than ``TransportLimits/maxFramesPerMessage`` frames.
    public private(set) var droppedMessages = 0
    private let socket: ZMQSocket
    private let monitor: ZMQSocket
    private let maxFramesPerMessage: Int
    /// Keeps the context alive as long as the socket.
    private let transport: Transport

    init(transport: Transport, socket: ZMQSocket, monitor: ZMQSocket, endpoint: String) {
        self.transport = transport
        self.socket = socket
        self.monitor = monitor
        self.endpoint = endpoint
        maxFramesPerMessage = transport.limits.maxFramesPerMessage
    }

    /// The socket stops publishing events before their reader closes (see ``ZMQSocket/stopMonitoring()``).
    deinit { socket.stopMonitoring() }

    /// Makes closing drop what is still queued for the coordinator (a worker giving up a
    /// connection that never answered must not deliver its join later).
    /// - Throws: ``ZMQError`` if libzmq refuses the option.
    public func discardUnsentOnClose() throws { try socket.discardUnsentOnClose() }

    /// The connection events reported since the last call, oldest first, without waiting: a
    /// worker learns here that its connection is up, closed (the coordinator went away, or its
    /// heartbeats stopped), that nothing answered an attempt, or that the coordinator's ZAP
    /// handler refused its key (libzmq then gives the connection up for good).
    /// - Throws: ``ZMQError`` if the monitor socket fails.
    public func connectionEvents() throws -> [ZMQConnectionEvent] {
        var events: [ZMQConnectionEvent] = []
        while let frames = try monitor.receive(timeoutMilliseconds: 0) {
            if let event = ZMQSocket.connectionEvent(in: frames) { events.append(event) }
        }
        return events
    }

    /// Sends `frames` as one message, waiting at most
    /// ``TransportLimits/dealerSendTimeoutMilliseconds`` while the queue to the coordinator
    /// is full (it is not reading).
    /// - Returns: `false` if the message was not queued in that time (it is dropped).
    /// - Throws: ``ZMQError`` if the socket fails.
    @discardableResult
    public func send(frames: [Frame]) throws -> Bool {
        try socket.send(frames: frames)
    }

    /// The next message's frames, waiting at most `timeoutMilliseconds` (-1 = forever).
    /// Messages with too many frames are dropped and counted in ``droppedMessages``.
    /// - Throws: ``ZMQError`` if the socket fails.
    public func receive(timeoutMilliseconds: Int) throws -> [Frame]? {
        guard let message = try socket.receiveMessage(timeoutMilliseconds: timeoutMilliseconds, maxFrames: maxFramesPerMessage) else {
            return nil
        }
        guard !message.excessFrames else {
            droppedMessages += 1
            return nil
        }
        return message.frames
    }

    /// The next message's frames, waiting at most `timeoutMilliseconds` (-1 = forever) or
    /// until `wakeup` is signalled (then `nil`, and the wake-up stays pending until drained).
    /// - Throws: ``ZMQError`` if the socket fails.
    public func receive(timeoutMilliseconds: Int, orWakeUp wakeup: WakeupPipe) throws -> [Frame]? {
        if let frames = try receive(timeoutMilliseconds: 0) { return frames }
        let ready = try ZMQSocket.pollReadable([socket], fileDescriptors: [wakeup.readDescriptor], timeoutMilliseconds: timeoutMilliseconds)
        return ready[0] ? try receive(timeoutMilliseconds: 0) : nil
    }
}
