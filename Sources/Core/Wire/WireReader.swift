/// Reads one payload written by ``WireWriter``: fields from the first frame, bulk arrays from
/// the following frames in order. Every read is bounds-checked and names the field in the
/// ``WireError`` it throws; nothing read from the peer can trap.
struct WireReader {
    private let fields: [UInt8]
    private let bulk: ArraySlice<Frame>
    private var offset = 0
    private var nextBulk: Int
    /// Prefix for field names in errors, e.g. `"task"`.
    private let context: String

    /// A reader over `frames` (fields frame first) of the message part named `context`.
    /// - Throws: ``WireError/truncated(what:needed:available:)`` if there is no fields frame.
    init(frames: ArraySlice<Frame>, context: String) throws {
        guard let first = frames.first else {
            throw WireError.truncated(what: "\(context) fields frame", needed: 1, available: 0)
        }
        self.fields = first.bytes
        self.bulk = frames.dropFirst()
        self.nextBulk = bulk.startIndex
        self.context = context
    }

    /// The next `count` bytes of the fields frame.
    mutating func raw(_ count: Int, _ field: @autoclosure () -> String) throws -> ArraySlice<UInt8> {
        guard fields.count - offset >= count else {
            throw WireError.truncated(what: "\(context).\(field()) at byte \(offset)", needed: count,
                                      available: fields.count - offset)
        }
        defer { offset += count }
        return fields[offset..<offset + count]
    }

    /// A little-endian unsigned integer.
    mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_ field: @autoclosure () -> String) throws -> T {
        let bytes = try raw(MemoryLayout<T>.size, field())
        return bytes.reversed().reduce(T.zero) { $0 << 8 | T($1) }
    }

    /// A `u32` as `Int`.
    mutating func int(_ field: @autoclosure () -> String) throws -> Int {
        Int(try integer(field()) as UInt32)
    }

    /// A `u32` as `Int`, at most `max`.
    /// - Throws: ``WireError/tooLarge(what:size:limit:)`` above `max`.
    mutating func count(_ field: @autoclosure () -> String, max: Int) throws -> Int {
        let value = try int(field())
        guard value <= max else {
            throw WireError.tooLarge(what: "\(context).\(field())", size: UInt64(value), limit: UInt64(max))
        }
        return value
    }

    /// An `f64`.
    mutating func double(_ field: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try integer(field()))
    }

    /// A `u32`-length-prefixed UTF-8 string of at most `maxBytes` bytes.
    /// - Throws: ``WireError/tooLarge(what:size:limit:)``, ``WireError/truncated(what:needed:available:)``
    ///   or ``WireError/invalidString(field:)``.
    mutating func string(_ field: @autoclosure () -> String, maxBytes: Int) throws -> String {
        let length = try count("\(field()) length", max: maxBytes)
        let bytes = try raw(length, field())
        guard let value = String(validating: bytes, as: UTF8.self) else {
            throw WireError.invalidString(field: "\(context).\(field())")
        }
        return value
    }

    /// A shape (rank `u8`, dimensions `u32`) and its element count, at most what fits
    /// ``WireLimits/maxPayloadBytes`` as float32.
    mutating func shape(_ field: @autoclosure () -> String) throws -> (dims: [Int], count: Int) {
        let rank = Int(try integer("\(field()) rank") as UInt8)
        guard rank <= WireLimits.maxRank else {
            throw WireError.tooLarge(what: "\(context).\(field()) rank", size: UInt64(rank), limit: UInt64(WireLimits.maxRank))
        }
        let limit = Int(WireLimits.maxPayloadBytes) / MemoryLayout<Float>.size
        var dims: [Int] = []
        var count = 1
        for axis in 0..<rank {
            let d = try int("\(field())[\(axis)]")
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= limit else {
                throw WireError.tooLarge(what: "\(context).\(field()) elements", size: UInt64(truncatingIfNeeded: product),
                                         limit: UInt64(limit))
            }
            dims.append(d)
            count = product
        }
        return (dims, count)
    }

    /// The next bulk frame as exactly `count` values of `T`, copied into an array.
    /// - Throws: ``WireError/truncated(what:needed:available:)`` if no frame is left,
    ///   ``WireError/shapeMismatch(_:)`` if its size is not `count · MemoryLayout<T>.size`.
    mutating func bulk<T: BitwiseCopyable>(_ field: @autoclosure () -> String, count: Int, as type: T.Type = T.self) throws -> [T] {
        WireReader.copy(try nextBulk(field(), count: count, stride: MemoryLayout<T>.stride), count: count)
    }

    /// The next bulk frame as exactly `count` float32 values, read in place when the frame's
    /// bytes are aligned for it (a received large frame is), else copied.
    /// - Throws: as ``bulk(_:count:as:)``.
    mutating func floats(_ field: @autoclosure () -> String, count: Int) throws -> FloatValues {
        let frame = try nextBulk(field(), count: count, stride: MemoryLayout<Float>.stride)
        return FloatValues(frame: frame) ?? FloatValues(WireReader.copy(frame, count: count))
    }

    /// The `count` float32 values that the next bulk frame, a shared-memory reference (one u64
    /// byte offset), names in the region `region` gives, read in place there.
    /// - Throws: ``WireError/sharedMemory(_:)`` without a region, for a place outside it, or when
    ///   it cannot be mapped; as ``bulk(_:count:as:)`` for a frame that is not 8 bytes.
    mutating func sharedFloats(_ field: @autoclosure () -> String, count: Int,
                               in region: (() throws -> SharedMemoryRegion)?) throws -> FloatValues {
        let offset: [UInt64] = try bulk(field(), count: 1)
        guard let region else {
            throw WireError.sharedMemory("\(context).\(field()) names shared memory, which this connection does not share")
        }
        do { return try region().floats(offset: offset[0], count: count) } catch {
            throw WireError.sharedMemory("\(context).\(field()): \(error)")
        }
    }

    /// The `count` values of `T` that `frame`'s bytes hold, copied (any alignment).
    private static func copy<T: BitwiseCopyable>(_ frame: Frame, count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            frame.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = count
        }
    }

    /// The next bulk frame, checked to hold `count` values of `stride` bytes.
    private mutating func nextBulk(_ field: @autoclosure () -> String, count: Int, stride: Int) throws -> Frame {
        guard nextBulk < bulk.endIndex else {
            throw WireError.truncated(what: "\(context).\(field()) frame", needed: 1, available: 0)
        }
        let frame = bulk[nextBulk]
        nextBulk += 1
        let (bytes, overflow) = count.multipliedReportingOverflow(by: stride)
        guard !overflow, bytes == frame.count else {
            throw WireError.shapeMismatch("\(context).\(field()): \(count) elements of \(stride) bytes "
                + "declared, frame has \(frame.count) bytes")
        }
        return frame
    }

    /// Checks that every field byte and every bulk frame was read.
    /// - Throws: ``WireError/lengthMismatch(what:declared:actual:)`` for leftovers.
    func finish() throws {
        guard offset == fields.count else {
            throw WireError.lengthMismatch(what: "\(context) fields frame bytes", declared: UInt64(offset),
                                           actual: UInt64(fields.count))
        }
        guard nextBulk == bulk.endIndex else {
            throw WireError.lengthMismatch(what: "\(context) bulk frames", declared: UInt64(nextBulk - bulk.startIndex),
                                           actual: UInt64(bulk.count))
        }
    }
}
