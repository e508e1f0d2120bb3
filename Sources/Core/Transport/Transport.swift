import Foundation

/// Distill's one transport: owns the ZeroMQ context and makes the coordinator's ROUTER and
/// the worker's DEALER, with the security, timeouts and limits of the run. The same
/// coordinator and worker code runs over `inproc://` (in one process), `ipc://` and
/// `tcp://`; nothing else configures sockets.
///
/// CURVE works over `ipc://` and `tcp://`. libzmq's `inproc://` has no handshake, so a CURVE
/// transport refuses it (``TransportError/curveOverInproc(endpoint:)``); `inproc://` peers
/// are threads of the same process anyway. An `ipc://` socket file is protected by its
/// folder's permissions (see ``PrivateFolder``). Every socket keeps its transport (and
/// so the ZAP handler) alive.
public final class Transport: @unchecked Sendable {
    /// The security of every socket made here.
    public let security: TransportSecurity
    /// The bounds of every socket made here.
    public let limits: TransportLimits
    private let context: ZMQContext
    private let zap: ZAPHandler?

    /// A transport with its own ZeroMQ context. A CURVE server starts its ZAP handler here,
    /// before any socket can accept a connection; `report` receives its refusal lines.
    /// - Throws: ``ZMQError`` if libzmq has no CURVE support or the context cannot be made.
    public init(security: TransportSecurity, limits: TransportLimits = TransportLimits(),
                report: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws {
        if security.isEncrypted && !ZMQCurve.isAvailable {
            throw ZMQError(call: "zmq_has(\"curve\")", errno: EPROTONOSUPPORT, message: "this libzmq was built without CURVE (libsodium)")
        }
        self.security = security
        self.limits = limits
        context = try ZMQContext()
        if case let .curveServer(_, authorizer) = security {
            zap = try ZAPHandler(context: context, authorizer: authorizer, report: report)
        } else {
            zap = nil
        }
    }

    deinit { zap?.stop() }

    /// CURVE handshakes the ZAP handler refused so far (0 without CURVE).
    public var refusedHandshakes: Int { zap?.refusedCount ?? 0 }

    /// Refuses `key` for the rest of the run (a CURVE server's ban list; no effect otherwise).
    /// Disconnect its open connection with ``TransportRouter/disconnect(_:)``.
    public func ban(_ key: CurvePublicKey) {
        if case let .curveServer(_, authorizer) = security { authorizer.ban(key) }
    }

    /// Binds the coordinator's ROUTER to `endpoint` (`tcp://host:0` picks a free port).
    /// `maxFrameBytes` overrides ``TransportLimits/maxFrameBytes`` for this router: set it to
    /// the largest frame a legitimate peer sends in this run.
    /// - Throws: ``TransportError`` (a client transport, CURVE over inproc), ``ZMQError``
    ///   (address in use, malformed endpoint).
    public func bindRouter(_ endpoint: String, maxFrameBytes: Int64? = nil) throws -> TransportRouter {
        var options = baseOptions(maxFrameBytes: maxFrameBytes ?? limits.maxFrameBytes)
        switch security {
        case .insecure: break
        case let .curveServer(keyPair, _): options.curve = .server(secretKey: keyPair.secretKey, zapDomain: "distill")
        case .curveClient: throw TransportError.wrongRole("a CURVE client transport cannot bind the coordinator's router")
        }
        try refuseCurveOverInproc(endpoint)
        options.routerMandatory = true
        let socket = try ZMQSocket(context: context, kind: .router, options: options)
        try socket.bind(endpoint)
        return try TransportRouter(transport: self, socket: socket, endpoint: socket.lastEndpoint)
    }

    /// Connects a worker's DEALER to `endpoint` with `routingID` (1...255 bytes, first not 0;
    /// `nil` lets the router choose). The connection is made and, when `reconnects`, remade in
    /// the background; otherwise a failed attempt or a closed connection is not retried for an
    /// hour (the caller makes a new dealer instead, see ``ZMQConnectionEvent``).
    /// - Throws: ``TransportError`` (a server transport, CURVE over inproc), ``ZMQError``.
    public func connectDealer(_ endpoint: String, routingID: [UInt8]? = nil, reconnects: Bool = true) throws -> TransportDealer {
        var options = baseOptions(maxFrameBytes: limits.maxFrameBytes)
        switch security {
        case .insecure: break
        case let .curveClient(keyPair, serverKey):
            options.curve = .client(publicKey: keyPair.publicKey.bytes, secretKey: keyPair.secretKey, serverKey: serverKey.bytes)
        case .curveServer: throw TransportError.wrongRole("a CURVE server transport cannot connect a worker's dealer")
        }
        try refuseCurveOverInproc(endpoint)
        options.routingID = routingID
        options.sendTimeoutMilliseconds = limits.dealerSendTimeoutMilliseconds
        options.connectTimeoutMilliseconds = limits.connectTimeoutMilliseconds
        if !reconnects { options.reconnectIntervalMilliseconds = 3_600_000 }
        let socket = try ZMQSocket(context: context, kind: .dealer, options: options)
        // The monitor is connected before the dealer so no connection event is missed.
        let monitorEndpoint = "inproc://distill-monitor-\(UInt64.random(in: 0...UInt64.max))"
        try socket.monitorConnections(on: monitorEndpoint)
        var monitorOptions = ZMQSocketOptions()
        monitorOptions.lingerMilliseconds = 0
        monitorOptions.heartbeat = nil
        let monitor = try ZMQSocket(context: context, kind: .pair, options: monitorOptions)
        try monitor.connect(monitorEndpoint)
        try socket.connect(endpoint)
        return TransportDealer(transport: self, socket: socket, monitor: monitor, endpoint: endpoint)
    }

    /// Bytes CURVE adds to each frame on the wire (the MESSAGE command name, nonce, flags and
    /// MAC: 33 in libzmq 4.3, rounded up), which libzmq counts against `ZMQ_MAXMSGSIZE`.
    static let curveFrameOverhead: Int64 = 64

    /// The options every socket shares; `maxFrameBytes` counts plaintext bytes.
    private func baseOptions(maxFrameBytes: Int64) -> ZMQSocketOptions {
        var options = ZMQSocketOptions()
        options.sendHighWaterMark = limits.sendQueueMessages
        options.receiveHighWaterMark = limits.receiveQueueMessages
        options.maxMessageBytes = maxFrameBytes >= 0 && security.isEncrypted ? maxFrameBytes + Transport.curveFrameOverhead : maxFrameBytes
        options.lingerMilliseconds = limits.lingerMilliseconds
        options.heartbeat = limits.heartbeat
        options.tcpKeepalive = limits.tcpKeepalive
        options.handshakeIntervalMilliseconds = limits.handshakeTimeoutMilliseconds
        return options
    }

    private func refuseCurveOverInproc(_ endpoint: String) throws {
        if security.isEncrypted && endpoint.hasPrefix("inproc://") { throw TransportError.curveOverInproc(endpoint: endpoint) }
    }
}
