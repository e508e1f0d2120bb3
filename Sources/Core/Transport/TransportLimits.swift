/// The bounds a ``Transport`` puts on every socket it makes, so no peer can make the other
/// side queue or buffer without limit.
///
/// Memory a ROUTER may hold for one peer is at most about
/// `(sendQueueMessages + 1) × (largest message sent)` outbound (plus the kernel's socket
/// buffer) and `receiveQueueMessages × maxFramesPerMessage × maxFrameBytes` inbound (an
/// honest worker has at most its credit of results in flight; the rest are heartbeats). libzmq
/// buffers a multipart message until its last frame arrives and does not count its frames,
/// so the inbound bound on frames holds only for what reaches the application; CURVE keeps
/// unauthenticated peers from getting that far.
public struct TransportLimits: Sendable, Equatable {
    /// `ZMQ_SNDHWM`: messages queued per peer before a send reports "would block"
    /// (``SendOutcome/wouldBlock``). Small, so a peer that stops reading costs little.
    public var sendQueueMessages: Int32 = 8
    /// `ZMQ_RCVHWM`: messages queued per peer before libzmq stops reading its connection.
    /// Not small: while it is full libzmq reads nothing from that connection, ZMTP heartbeat
    /// replies included, so a peer whose messages wait longer than the heartbeat timeout
    /// (a worker heartbeating at 4 Hz while the coordinator evaluates for 5 s with a queue of
    /// 16) is disconnected. 1000 (libzmq's default) is about 4 minutes of worker heartbeats.
    public var receiveQueueMessages: Int32 = 1000
    /// `ZMQ_MAXMSGSIZE`: a peer announcing a larger frame is disconnected before the frame is
    /// buffered. libzmq applies it to each frame; -1 = no limit. A router's value is fixed
    /// when it binds (see ``Transport/bindRouter(_:maxFrameBytes:)``).
    public var maxFrameBytes: Int64 = Int64(WireLimits.maxPayloadBytes)
    /// A message with more frames than this is read, dropped and counted, never delivered.
    public var maxFramesPerMessage = 64
    /// `ZMQ_HANDSHAKE_IVL` in milliseconds: a connection must finish its ZMTP and CURVE
    /// handshake (ZAP included) this fast or is closed.
    public var handshakeTimeoutMilliseconds: Int32 = 5000
    /// `ZMQ_SNDTIMEO` of a worker's dealer in milliseconds: how long a send may wait while the
    /// coordinator is not reading before it gives up (``TransportDealer/send(frames:)``
    /// returns `false`), so a worker never stops reading because it is stuck sending.
    public var dealerSendTimeoutMilliseconds: Int32 = 1000
    /// `ZMQ_LINGER` in milliseconds: how long closing waits for unsent messages.
    public var lingerMilliseconds: Int32 = 1000
    /// ZMTP heartbeats, so a silently dead connection is closed; `nil` disables them. Each side
    /// PINGs every second and closes a connection that has carried nothing for 5 s after a PING:
    /// a cut link is noticed within seconds on both sides, not after TCP's retransmission
    /// timeout of many minutes.
    public var heartbeat: ZMQSocketOptions.Heartbeat? = ZMQSocketOptions.Heartbeat()
    /// TCP keepalive on every TCP connection: probes after 5 s of silence, every 2 s, 3 lost
    /// probes close it (about 11 s), so even a connection whose ZMTP traffic has stopped
    /// entirely is closed by the kernel; `nil` leaves the system default (2 hours).
    public var tcpKeepalive: ZMQSocketOptions.TCPKeepalive? = ZMQSocketOptions.TCPKeepalive(idleSeconds: 5, intervalSeconds: 2, probeCount: 3)
    /// `ZMQ_CONNECT_TIMEOUT` of a worker's connection attempts in milliseconds: a coordinator
    /// host that does not answer (down, or its link cut) fails an attempt after this long
    /// instead of after the kernel's two minutes of SYN retries.
    public var connectTimeoutMilliseconds: Int32 = 5000

    /// Defaults as documented on each property.
    public init() {}
}
