#if _endian(big)
#error("Distill's wire format copies Float32 and Int32 arrays bytewise and needs a little-endian host")
#endif

/// Builds the frames of one payload: a compact fields frame (little-endian integers,
/// length-prefixed UTF-8 strings) followed by one raw frame per bulk array.
///
/// Values come from this process, so a value the format cannot carry (a negative count, an
/// over-long string) is a programming error and traps with the field's name.
struct WireWriter {
    /// The fields frame written so far.
    private(set) var fields: [UInt8] = []
    /// The bulk frames appended so far, in order.
    private(set) var bulk: [Frame] = []

    /// An empty payload.
    init() {}

    /// The fields frame followed by the bulk frames.
    var frames: [Frame] { [Frame(fields)] + bulk }

    /// Appends `bytes` to the fields frame verbatim.
    mutating func raw(_ bytes: [UInt8]) { fields.append(contentsOf: bytes) }

    /// Appends a little-endian integer to the fields frame.
    mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { fields.append(contentsOf: $0) }
    }

    /// Appends a non-negative `Int` as a `u32`.
    mutating func int(_ value: Int, _ field: StaticString) {
        guard let narrow = UInt32(exactly: value) else {
            preconditionFailure("\(field) = \(value) does not fit the wire's u32")
        }
        integer(narrow)
    }

    /// Appends an IEEE-754 double as its little-endian bit pattern (`f64`).
    mutating func double(_ value: Double) { integer(value.bitPattern) }

    /// Appends a `u32` byte length and the UTF-8 bytes of `value`.
    mutating func string(_ value: String, maxBytes: Int, _ field: StaticString) {
        let utf8 = Array(value.utf8)
        precondition(utf8.count <= maxBytes, "\(field) has \(utf8.count) UTF-8 bytes, the limit is \(maxBytes)")
        int(utf8.count, field)
        fields.append(contentsOf: utf8)
    }

    /// Appends a shape: rank `u8`, then each dimension as `u32`.
    mutating func shape(_ dims: [Int], _ field: StaticString) {
        precondition(dims.count <= WireLimits.maxRank, "\(field) has rank \(dims.count) > \(WireLimits.maxRank)")
        integer(UInt8(dims.count))
        for d in dims { int(d, field) }
    }

    /// Appends `values` as one raw bulk frame: the array itself, not a copy (little-endian host).
    mutating func bulk<T: BitwiseCopyable>(_ values: [T]) {
        bulk.append(Frame(elements: values))
    }

    /// Appends `bytes` as one raw bulk frame: the array itself, unboxed.
    mutating func bulk(_ bytes: [UInt8]) {
        bulk.append(Frame(bytes))
    }

    /// Appends `values` as one raw bulk frame: the array itself, unboxed.
    mutating func bulk(_ values: [Float]) {
        bulk.append(Frame(floats: values))
    }

    /// Appends `frame` as one raw bulk frame (no copy).
    mutating func bulk(frame: Frame) {
        bulk.append(frame)
    }

    /// Appends `values` as one raw bulk frame, straight from a buffer (no intermediate array).
    mutating func bulk<T: BitwiseCopyable>(_ values: UnsafeBufferPointer<T>) {
        bulk.append(Frame(Array(UnsafeRawBufferPointer(values))))
    }
}
