import Glibc

/// Why a connection's ZMTP/CURVE handshake failed, as libzmq's socket monitor reports it.
public enum ZMQHandshakeFailure: Equatable, Sendable, CustomStringConvertible {
    /// The server's ZAP handler refused the client's key; `status` is its ZAP status (400).
    case authentication(status: Int)
    /// The peers do not speak the same protocol or mechanism (e.g. plain TCP against CURVE);
    /// `code` is libzmq's `ZMQ_PROTOCOL_ERROR_*` value.
    case protocolError(code: Int)
    /// The handshake ended without details (e.g. the server closed the connection because the
    /// client expected another server key, or spoke without CURVE); `errno` says how.
    case noDetail(errno: Int32)

    public var description: String {
        switch self {
        case let .authentication(status): return "the coordinator refused this worker's CURVE key (ZAP status \(status)): is its public key in the coordinator's authorized/ folder?"
        case let .protocolError(code): return "ZMTP handshake failed (protocol error 0x\(String(code, radix: 16))): both sides need the same security (CURVE keys on both, or --insecure on both)"
        case let .noDetail(errno): return "handshake failed (\(String(cString: strerror(errno)))): the coordinator closed the connection; "
            + "both sides need the same security (--key with this coordinator's public key as --server-key, or --insecure on both)"
        }
    }
}
