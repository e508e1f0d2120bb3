/// Caps the decoder enforces on sizes read from the wire, so a hostile or corrupt length can
/// neither overflow arithmetic nor make a receiver allocate without bound.
public enum WireLimits {
    /// The protocol version this build writes and accepts.
    public static let protocolVersion: UInt16 = 4
    /// Total bytes of a message's payload frames (2 GiB).
    public static let maxPayloadBytes: UInt64 = 1 << 31
    /// UTF-8 bytes of a worker name or spec hash.
    public static let maxNameBytes = 1024
    /// UTF-8 bytes of a configuration or model-spec document.
    public static let maxDocumentBytes = 64 << 20
    /// UTF-8 bytes of a shutdown reason or error message.
    public static let maxReasonBytes = 64 << 10
    /// Shards in one task message.
    public static let maxShards = 65536
    /// Dimensions of a ``FloatArray`` shape.
    public static let maxRank = 8
}
