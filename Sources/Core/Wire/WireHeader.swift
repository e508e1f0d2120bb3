/// The fixed 52-byte frame that starts every message (all integers little-endian):
///
/// | offset | size | field                                                    |
/// |-------:|-----:|----------------------------------------------------------|
/// |      0 |    4 | magic `"DSTL"`                                           |
/// |      4 |    2 | protocol version (1)                                     |
/// |      6 |    1 | message kind (``WireKind``)                              |
/// |      7 |    1 | flags (bit 0: teacher logits; bit 1: shared memory)      |
/// |      8 |    8 | run id                                                   |
/// |     16 |    8 | step                                                     |
/// |     24 |    8 | parameter version                                        |
/// |     32 |    8 | payload length: bytes of all payload frames together     |
/// |     40 |    4 | payload frame count                                      |
/// |     44 |    4 | payload CRC-32C over the payload frames concatenated      |
/// |     48 |    4 | header CRC-32C over bytes 0..<48                         |
public struct WireHeader: Equatable, Sendable {
    /// Size of the header frame in bytes.
    public static let byteCount = 52
    /// The magic bytes `"DSTL"`.
    public static let magic: [UInt8] = Array("DSTL".utf8)

    /// Protocol version of the message.
    public let version: UInt16
    /// Kind of the payload that follows.
    public let kind: WireKind
    /// Flag bits: ``teacherLogitsFlag`` and ``sharedMemoryFlag`` where ``knownFlags(_:)`` allows them.
    public let flags: UInt8

    /// Flag bit 0: the task or result carries the teacher-logits section (docs/PROTOCOL.md,
    /// "Teacher logits"). Set only when some shard carries or asks for logits, so messages of
    /// runs without `teacher.cache` are unchanged.
    public static let teacherLogitsFlag: UInt8 = 0x01

    /// Flag bit 1, local mode only (docs/PROTOCOL.md, "Shared memory"): on a join, the worker
    /// offers to share the run's shared-memory folder; on the welcome, the coordinator accepts;
    /// on a result or parameters message, the gradients or parameters frame names where the
    /// values lie in shared memory instead of holding them.
    public static let sharedMemoryFlag: UInt8 = 0x02

    /// The flag bits a message of `kind` may carry.
    static func knownFlags(_ kind: WireKind) -> UInt8 {
        switch kind {
        case .task: return teacherLogitsFlag
        case .result: return teacherLogitsFlag | sharedMemoryFlag
        case .join, .welcome, .parameters: return sharedMemoryFlag
        default: return 0
        }
    }
    /// The run the message belongs to (0 in a join from a worker that has no run yet).
    public let runID: UInt64
    /// The optimisation step the message concerns (0 when none).
    public let step: UInt64
    /// The student parameter version the message concerns (0 when none).
    public let parameterVersion: UInt64
    /// Bytes of all payload frames together.
    public let payloadLength: UInt64
    /// Number of payload frames after the header.
    public let payloadFrameCount: UInt32
    /// CRC-32C of the payload frames concatenated.
    public let payloadChecksum: UInt32

    /// A header with every field given; `version` defaults to this build's.
    public init(version: UInt16 = WireLimits.protocolVersion, kind: WireKind, flags: UInt8 = 0, runID: UInt64,
                step: UInt64, parameterVersion: UInt64, payloadLength: UInt64, payloadFrameCount: UInt32,
                payloadChecksum: UInt32) {
        self.version = version
        self.kind = kind
        self.flags = flags
        self.runID = runID
        self.step = step
        self.parameterVersion = parameterVersion
        self.payloadLength = payloadLength
        self.payloadFrameCount = payloadFrameCount
        self.payloadChecksum = payloadChecksum
    }

    /// The header frame, header checksum included.
    public func encoded() -> [UInt8] {
        var writer = WireWriter()
        writer.raw(WireHeader.magic)
        writer.integer(version)
        writer.integer(kind.rawValue)
        writer.integer(flags)
        writer.integer(runID)
        writer.integer(step)
        writer.integer(parameterVersion)
        writer.integer(payloadLength)
        writer.integer(payloadFrameCount)
        writer.integer(payloadChecksum)
        writer.integer(CRC32C.checksum(writer.fields))
        return writer.fields
    }

    /// Parses a header frame, checking in order: magic, version, size, header checksum, kind, flags.
    /// - Throws: ``WireError`` naming the first check that failed.
    public init(decoding frame: [UInt8]) throws {
        var reader = try WireReader(frames: [Frame(frame)], context: "header")
        let magic = try reader.raw(4, "magic")
        guard magic.elementsEqual(WireHeader.magic) else { throw WireError.badMagic(found: Array(magic)) }
        version = try reader.integer("version")
        guard version == WireLimits.protocolVersion else {
            throw WireError.unsupportedVersion(found: version, expected: WireLimits.protocolVersion)
        }
        guard frame.count >= WireHeader.byteCount else {
            throw WireError.truncated(what: "header frame", needed: WireHeader.byteCount, available: frame.count)
        }
        guard frame.count == WireHeader.byteCount else {
            throw WireError.lengthMismatch(what: "header frame bytes", declared: UInt64(WireHeader.byteCount),
                                           actual: UInt64(frame.count))
        }
        let computed = CRC32C.checksum(Array(frame[0..<48]))
        let rawKind: UInt8 = try reader.integer("kind")
        flags = try reader.integer("flags")
        runID = try reader.integer("runID")
        step = try reader.integer("step")
        parameterVersion = try reader.integer("parameterVersion")
        payloadLength = try reader.integer("payloadLength")
        payloadFrameCount = try reader.integer("payloadFrameCount")
        payloadChecksum = try reader.integer("payloadChecksum")
        let declared: UInt32 = try reader.integer("headerChecksum")
        try reader.finish()
        guard declared == computed else {
            throw WireError.checksumMismatch(what: "header", declared: declared, computed: computed)
        }
        guard let kind = WireKind(rawValue: rawKind) else { throw WireError.unknownKind(rawKind) }
        self.kind = kind
        guard flags & ~WireHeader.knownFlags(kind) == 0 else { throw WireError.unsupportedFlags(flags) }
    }
}
