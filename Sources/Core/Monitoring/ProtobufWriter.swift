/// A minimal Protocol Buffers wire-format encoder: just the field kinds the TensorBoard event
/// files need (varint, 64-bit double, 32-bit float, length-delimited bytes, strings and
/// embedded messages). Fields are written in the order they are added.
///
/// Wire types (protobuf encoding spec): 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32;
/// every field starts with the varint key `field << 3 | wireType`.
public struct ProtobufWriter {
    /// The encoded message so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty message.
    public init() {}

    /// Appends `value` as a base-128 varint (7 bits a byte, low group first).
    public mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func appendKey(_ field: Int, wireType: UInt64) {
        appendVarint(UInt64(field) << 3 | wireType)
    }

    /// Field `field` as a varint (`int64`, `uint64`, `int32` ≥ 0, `bool`, enums).
    public mutating func varint(_ field: Int, _ value: UInt64) {
        appendKey(field, wireType: 0)
        appendVarint(value)
    }

    /// Field `field` as a `double` (fixed64, little-endian IEEE 754).
    public mutating func double(_ field: Int, _ value: Double) {
        appendKey(field, wireType: 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Field `field` as a `float` (fixed32, little-endian IEEE 754).
    public mutating func float(_ field: Int, _ value: Float) {
        appendKey(field, wireType: 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Field `field` as length-delimited bytes (`bytes`, or an embedded message's encoding).
    public mutating func lengthDelimited(_ field: Int, _ value: [UInt8]) {
        appendKey(field, wireType: 2)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Field `field` as a UTF-8 `string`.
    public mutating func string(_ field: Int, _ value: String) {
        lengthDelimited(field, Array(value.utf8))
    }

    /// Field `field` as the embedded message `message`.
    public mutating func message(_ field: Int, _ message: ProtobufWriter) {
        lengthDelimited(field, message.bytes)
    }
}
