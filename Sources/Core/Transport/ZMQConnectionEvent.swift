/// What libzmq's socket monitor reported about a connecting socket's connection
/// (``ZMQSocket/monitorConnections(on:)``).
public enum ZMQConnectionEvent: Equatable, Sendable {
    /// The ZMTP (and CURVE) handshake completed: the connection is up.
    case connected
    /// A connection closed: the peer went away, or ZMTP heartbeats went unanswered.
    case disconnected
    /// A connection attempt failed (nothing listening, no answer within the connect timeout);
    /// libzmq tries again later.
    case connectRetried
    /// The handshake failed; libzmq gives the connection up for good after an authentication failure.
    case handshakeFailed(ZMQHandshakeFailure)
}
