/// How a ``Transport`` secures its connections.
public enum TransportSecurity: Sendable {
    /// No security (ZeroMQ's NULL mechanism): anyone who reaches the address can connect,
    /// read and write. For `ipc://` in a private folder, `inproc://`, or TCP with `--insecure`.
    case insecure
    /// CURVE server (coordinator): encrypts every connection with `keyPair` and admits only
    /// the clients `authorizer` accepts, through a ZAP handler.
    case curveServer(keyPair: CurveKeyPair, authorizer: CurveAuthorizer)
    /// CURVE client (worker): connects with its own `keyPair` and only to the server whose
    /// public key is `serverKey`.
    case curveClient(keyPair: CurveKeyPair, serverKey: CurvePublicKey)

    /// True for either CURVE role.
    public var isEncrypted: Bool { if case .insecure = self { return false } else { return true } }
}

/// A transport that cannot do what was asked.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    /// CURVE over `inproc://`: libzmq makes no handshake there, so it would admit anyone.
    case curveOverInproc(endpoint: String)
    /// A router asked of a client transport, or a dealer of a server transport.
    case wrongRole(String)

    public var description: String {
        switch self {
        case let .curveOverInproc(endpoint):
            return "\(endpoint): libzmq makes no security handshake over inproc://, so CURVE cannot protect it; use an insecure transport in-process"
        case let .wrongRole(detail): return detail
        }
    }
}
