/// A CURVE public key (32 bytes), the identity of a worker or of the coordinator.
public struct CurvePublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The 32 key bytes.
    public let bytes: [UInt8]

    /// The key of 32 raw bytes, or `nil` for another length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// The key spelled in Z85 (40 characters), or `nil` for anything else.
    public init?(z85: String) {
        guard z85.utf8.count == 40, let bytes = ZMQCurve.z85Decode(z85) else { return nil }
        self.bytes = bytes
    }

    /// The Z85 spelling (40 characters), as in certificate files and the ZAP `User-Id`.
    public var z85: String { ZMQCurve.z85Encode(bytes)! }

    /// A short name for logs: `sha256:` and the first 12 hex digits of the key's SHA-256.
    public var fingerprint: String { "sha256:" + SHA256.hex(bytes).prefix(12) }

    public var description: String { fingerprint }
}

/// A CURVE key pair: a public key and the secret key it belongs to.
public struct CurveKeyPair: Sendable, Equatable {
    /// The public half, given to peers.
    public let publicKey: CurvePublicKey
    /// The 32 secret bytes; never logged or printed.
    public let secretKey: [UInt8]

    /// A fresh random key pair (`zmq_curve_keypair`).
    /// - Throws: ``ZMQError`` if libzmq was built without CURVE.
    public static func generate() throws -> CurveKeyPair {
        let (publicBytes, secretBytes) = try ZMQCurve.makeKeyPair()
        return CurveKeyPair(checked: CurvePublicKey(bytes: publicBytes)!, secretKey: secretBytes)
    }

    /// The pair of `secretKey` (32 bytes), after checking that `publicKey` belongs to it.
    /// - Returns: `nil` if `publicKey` is not the public key of `secretKey`.
    /// - Throws: ``ZMQError`` for a secret key of the wrong length or without CURVE support.
    public init?(publicKey: CurvePublicKey, secretKey: [UInt8]) throws {
        guard try ZMQCurve.publicKey(secretKey: secretKey) == publicKey.bytes else { return nil }
        self.init(checked: publicKey, secretKey: secretKey)
    }

    private init(checked publicKey: CurvePublicKey, secretKey: [UInt8]) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}
