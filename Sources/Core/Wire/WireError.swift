/// Why a received message was rejected. Every case names the field or frame at fault, so a
/// log line says what the peer got wrong. The decoder throws these instead of trapping,
/// whatever bytes the peer sent.
public enum WireError: Error, CustomStringConvertible, Equatable {
    /// `what` needed `needed` bytes (or frames) where only `available` were left.
    case truncated(what: String, needed: Int, available: Int)
    /// The header frame does not start with `"DSTL"`; `found` holds its first bytes.
    case badMagic(found: [UInt8])
    /// The header carries a protocol version this build does not speak.
    case unsupportedVersion(found: UInt16, expected: UInt16)
    /// The header's message kind byte is not a ``WireKind``.
    case unknownKind(UInt8)
    /// The header sets flag bits this version does not define.
    case unsupportedFlags(UInt8)
    /// The CRC-32C of `what` (`"header"` or `"payload"`) differs from the one declared.
    case checksumMismatch(what: String, declared: UInt32, computed: UInt32)
    /// A declared length or count disagrees with what arrived (or bytes were left over).
    case lengthMismatch(what: String, declared: UInt64, actual: UInt64)
    /// An array's frame size disagrees with its declared shape or count.
    case shapeMismatch(String)
    /// A size or count exceeds ``WireLimits``.
    case tooLarge(what: String, size: UInt64, limit: UInt64)
    /// A string field is not valid UTF-8.
    case invalidString(field: String)
    /// A payload field repeats a header field (run id, step, parameter version) with another value.
    case headerMismatch(field: String, header: UInt64, payload: UInt64)
    /// A document field (e.g. the welcome's run description) is unreadable or holds a value out
    /// of range; `detail` names the key.
    case invalidDocument(field: String, detail: String)
    /// An encoding code (e.g. `result.gradientEncoding`) this version does not define.
    case unknownEncoding(field: String, code: UInt8)
    /// A message names values in shared memory that this connection does not share, or a
    /// place outside the region (`detail` says which).
    case sharedMemory(String)

    public var description: String {
        switch self {
        case let .truncated(what, needed, available):
            return "truncated \(what): needs \(needed), only \(available) available"
        case let .badMagic(found):
            return "bad magic \(found.map { String($0, radix: 16) }) (expected \"DSTL\"): not a Distill message"
        case let .unsupportedVersion(found, expected):
            return "unsupported protocol version \(found) (this build speaks \(expected))"
        case let .unknownKind(kind):
            return "unknown message kind \(kind)"
        case let .unsupportedFlags(flags):
            return "unsupported header flags 0x\(String(flags, radix: 16))"
        case let .checksumMismatch(what, declared, computed):
            return "\(what) checksum mismatch: declared 0x\(String(declared, radix: 16)), computed 0x\(String(computed, radix: 16))"
        case let .lengthMismatch(what, declared, actual):
            return "\(what): declared \(declared), actual \(actual)"
        case let .shapeMismatch(detail):
            return "shape mismatch: \(detail)"
        case let .tooLarge(what, size, limit):
            return "\(what) too large: \(size) exceeds the limit \(limit)"
        case let .invalidString(field):
            return "\(field) is not valid UTF-8"
        case let .headerMismatch(field, header, payload):
            return "\(field) is \(payload) in the payload but \(header) in the header"
        case let .invalidDocument(field, detail):
            return "\(field): \(detail)"
        case let .unknownEncoding(field, code):
            return "\(field): unknown encoding \(code)"
        case let .sharedMemory(detail):
            return "shared memory: \(detail)"
        }
    }
}
