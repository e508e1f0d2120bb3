/// The options a ``ZMQSocket`` is created with (applied before any bind or connect).
///
/// Defaults suit Distill: bounded queues, a short linger so shutdown never hangs, unroutable
/// router sends reported as errors, and ZMTP heartbeats so a silently dead peer is dropped.
public struct ZMQSocketOptions: Sendable, Equatable {
    /// `ZMQ_SNDHWM`: messages queued per peer before sends block (or time out). 0 = unlimited.
    public var sendHighWaterMark: Int32 = 1000
    /// `ZMQ_RCVHWM`: messages queued per peer before the peer's sends block. 0 = unlimited.
    public var receiveHighWaterMark: Int32 = 1000
    /// `ZMQ_LINGER` in milliseconds: how long closing waits for unsent messages; -1 = forever.
    public var lingerMilliseconds: Int32 = 1000
    /// `ZMQ_SNDTIMEO` in milliseconds: how long a send may block on a full queue; -1 = forever.
    public var sendTimeoutMilliseconds: Int32 = -1
    /// `ZMQ_MAXMSGSIZE` in bytes: a peer announcing a larger frame is disconnected before it
    /// is buffered; -1 = no limit. Defaults to the wire's payload limit (2 GiB).
    public var maxMessageBytes: Int64 = Int64(WireLimits.maxPayloadBytes)
    /// `ZMQ_ROUTING_ID`: the dealer's identity as seen by the router (1...255 bytes, first byte
    /// not 0); `nil` lets the router assign a random one.
    public var routingID: [UInt8]? = nil
    /// `ZMQ_ROUTER_MANDATORY` (router only): sending to an unknown routing id throws
    /// `EHOSTUNREACH` instead of silently dropping the message.
    public var routerMandatory: Bool = true
    /// ZMTP-level heartbeats (`ZMQ_HEARTBEAT_*`); `nil` disables them.
    public var heartbeat: Heartbeat? = Heartbeat()
    /// TCP keepalive (`ZMQ_TCP_KEEPALIVE*`); `nil` leaves the operating system default.
    public var tcpKeepalive: TCPKeepalive? = nil
    /// `ZMQ_HANDSHAKE_IVL` in milliseconds: a connection that has not finished its ZMTP (and
    /// CURVE) handshake by then is closed; `nil` keeps libzmq's 30 s.
    public var handshakeIntervalMilliseconds: Int32? = nil
    /// `ZMQ_CONNECT_TIMEOUT` in milliseconds: a TCP connection attempt that gets no answer by
    /// then fails (and is retried); `nil` leaves it to the operating system (minutes).
    public var connectTimeoutMilliseconds: Int32? = nil
    /// `ZMQ_RECONNECT_IVL` in milliseconds: how long a connecting socket waits before it tries
    /// again after a failed attempt or a lost connection; `nil` keeps libzmq's 100 ms.
    public var reconnectIntervalMilliseconds: Int32? = nil
    /// CURVE security (`ZMQ_CURVE_*`); `nil` is the NULL mechanism (no security).
    public var curve: Curve? = nil

    /// Defaults as documented on each property.
    public init() {}

    /// ZMTP PING/PONG settings. A peer that answers no PING within `timeoutMilliseconds` is
    /// disconnected; `ttlMilliseconds` asks the remote side to drop us if it hears nothing.
    public struct Heartbeat: Sendable, Equatable {
        /// `ZMQ_HEARTBEAT_IVL`: milliseconds between PINGs.
        public var intervalMilliseconds: Int32
        /// `ZMQ_HEARTBEAT_TIMEOUT`: milliseconds to wait for traffic after a PING.
        public var timeoutMilliseconds: Int32
        /// `ZMQ_HEARTBEAT_TTL`: milliseconds (rounded down to 100 ms by libzmq) the remote
        /// peer should wait for traffic from us before disconnecting.
        public var ttlMilliseconds: Int32

        /// Heartbeat settings; the defaults detect a dead peer within about 5 s.
        public init(intervalMilliseconds: Int32 = 1000, timeoutMilliseconds: Int32 = 5000,
                    ttlMilliseconds: Int32 = 10000) {
            self.intervalMilliseconds = intervalMilliseconds
            self.timeoutMilliseconds = timeoutMilliseconds
            self.ttlMilliseconds = ttlMilliseconds
        }
    }

    /// The CURVE role of a socket (ZeroMQ RFC 26); keys are 32 raw bytes.
    public enum Curve: Sendable, Equatable {
        /// `ZMQ_CURVE_SERVER` with `secretKey`. Every handshake is put to the ZAP handler
        /// bound at `inproc://zeromq.zap.01` in the socket's context under `zapDomain`
        /// (`ZMQ_ZAP_DOMAIN`), and refused if none answers (`ZMQ_ZAP_ENFORCE_DOMAIN`).
        case server(secretKey: [UInt8], zapDomain: String)
        /// A CURVE client with its own key pair that accepts only the server `serverKey`.
        case client(publicKey: [UInt8], secretKey: [UInt8], serverKey: [UInt8])
    }

    /// TCP keepalive settings (`SO_KEEPALIVE` and friends) for TCP transports.
    public struct TCPKeepalive: Sendable, Equatable {
        /// `ZMQ_TCP_KEEPALIVE_IDLE`: seconds of silence before the first probe.
        public var idleSeconds: Int32
        /// `ZMQ_TCP_KEEPALIVE_INTVL`: seconds between probes.
        public var intervalSeconds: Int32
        /// `ZMQ_TCP_KEEPALIVE_CNT`: unanswered probes before the connection is dropped.
        public var probeCount: Int32

        /// Keepalive settings; the defaults drop a dead TCP peer after about a minute.
        public init(idleSeconds: Int32 = 30, intervalSeconds: Int32 = 10, probeCount: Int32 = 3) {
            self.idleSeconds = idleSeconds
            self.intervalSeconds = intervalSeconds
            self.probeCount = probeCount
        }
    }
}
