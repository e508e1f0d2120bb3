/// The bounds a ``Transport`` puts on every socket it makes, so no peer can make the other
/// side queue or buffer without limit.
///
/// Memory a ROUTER may hold for one peer is at most about
/// `(sendQueueMessages + 1) × (largest message sent)` outbound (plus the kernel's socket
/// buffer) and `receiveQueueMessages × maxFramesPerMessage × maxFrameBytes` inbound. libzmq
/// buffers a multipart message until its last frame arrives and does not count its frames,
/// so the inbound bound on frames holds only for what reaches the application; CURVE keeps
/// unauthenticated peers from getting that far.
public struct TransportLimits: Sendable, Equatable {
    /// `ZMQ_SNDHWM`: messages queued per peer before a send reports "would block"
    /// (``SendOutcome/wouldBlock``). Small, so a peer that stops reading costs little.
    public var sendQueueMessages: Int32 = 8
    /// `ZMQ_RCVHWM`: messages queued per peer before libzmq stops reading its connection.
    public var receiveQueueMessages: Int32 = 16
    /// `ZMQ_MAXMSGSIZE`: a peer announcing a larger frame is disconnected before the frame is
    /// buffered. libzmq applies it to each frame; -1 = no limit. A router's value is fixed
    /// when it binds (see ``Transport/bindRouter(_:maxFrameBytes:)``).
    public var maxFrameBytes: Int64 = Int64(WireLimits.maxPayloadBytes)
    /// A message with more frames than this is read, dropped and counted, never delivered.
    public var maxFramesPerMessage = 64
    /// `ZMQ_HANDSHAKE_IVL` in milliseconds: a connection must finish its ZMTP and CURVE
    /// handshake (ZAP included) this fast or is closed.
    public var handshakeTimeoutMilliseconds: Int32 = 5000
    /// `ZMQ_LINGER` in milliseconds: how long closing waits for unsent messages.
    public var lingerMilliseconds: Int32 = 1000
    /// ZMTP heartbeats, so a silently dead connection is closed; `nil` disables them.
    public var heartbeat: ZMQSocketOptions.Heartbeat? = ZMQSocketOptions.Heartbeat()

    /// Defaults as documented on each property.
    public init() {}
}
