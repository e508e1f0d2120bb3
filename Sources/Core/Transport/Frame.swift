/// The bytes of one message frame: immutable, and shared rather than copied. A frame the wire
/// encoder builds holds its Swift array; a frame a socket receives holds libzmq's message, so
/// the bytes are read where libzmq put them; a large frame is sent from where it lies
/// (see ``ZMQSocket/zeroCopyThreshold``). Copying a `Frame` copies a reference.
public struct Frame: Sendable {
    /// Where the bytes are. Arrays are held as they are (no box: a small frame costs one
    /// allocation, its array); only a large frame handed to libzmq is boxed, at send time.
    private enum Content: Sendable {
        case bytes([UInt8])
        case floats([Float])
        case shared(FrameStorage)
    }

    private let content: Content

    /// The largest magnitude of the frame's bytes read as float32 values, measured by the
    /// checksum pass of ``WireCodec/decode(_:)`` (frames of ``measuredFloatBytes`` or more), or
    /// nil: not measured, not a whole number of float32s, or one is not finite. ``FloatValues``
    /// read from the frame start with it as their ``FloatValues/checkedMagnitude``.
    public internal(set) var checkedFloatMagnitude: Float?

    /// Payload frames at least this long get ``checkedFloatMagnitude`` as they are checksummed.
    static let measuredFloatBytes = 4096

    /// A frame holding `bytes` (no copy).
    public init(_ bytes: [UInt8]) { content = .bytes(bytes) }

    /// A frame holding the bytes of `values` in memory order (no copy): how a float32 bulk
    /// array travels, little-endian on every host Distill runs on.
    init(floats values: [Float]) { content = .floats(values) }

    /// A frame holding the bytes of `elements` in memory order (no copy).
    init<Element: BitwiseCopyable>(elements: [Element]) { content = .shared(ArrayFrameStorage(elements)) }

    /// A frame whose bytes `storage` keeps.
    init(storage: FrameStorage) { content = .shared(storage) }

    /// The number of bytes.
    public var count: Int {
        switch content {
        case let .bytes(bytes): return bytes.count
        case let .floats(values): return values.count * MemoryLayout<Float>.stride
        case let .shared(storage): return storage.count
        }
    }

    /// Whether the frame has no bytes.
    public var isEmpty: Bool { count == 0 }

    /// Calls `body` with the bytes; the pointer is valid only inside `body`.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch content {
        case let .bytes(bytes): return try bytes.withUnsafeBytes(body)
        case let .floats(values): return try values.withUnsafeBytes(body)
        case let .shared(storage):
            return try withExtendedLifetime(storage) { try body(UnsafeRawBufferPointer(start: storage.base, count: storage.count)) }
        }
    }

    /// A copy of the bytes as an array (for small frames: routing ids, fields, control messages).
    public var bytes: [UInt8] {
        if case let .bytes(bytes) = content { return bytes }
        return withUnsafeBytes { Array($0) }
    }

    /// Where the bytes lie in a ``SharedMemoryRegion``, or nil (see ``FrameStorage/sharedOffset``).
    var sharedOffset: Int? {
        if case let .shared(storage) = content { return storage.sharedOffset }
        return nil
    }

    /// Storage that keeps the bytes where they are for as long as libzmq holds a reference to
    /// it while sending the frame in place (an array is boxed, not copied).
    var storageForSending: FrameStorage {
        switch content {
        case let .bytes(bytes): return ArrayFrameStorage(bytes)
        case let .floats(values): return ArrayFrameStorage(values)
        case let .shared(storage): return storage
        }
    }
}

extension Frame: Equatable {
    /// Frames are equal when their bytes are.
    public static func == (a: Frame, b: Frame) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }
}

extension Frame: ExpressibleByArrayLiteral {
    /// A frame of the listed bytes.
    public init(arrayLiteral bytes: UInt8...) { self.init(bytes) }
}

extension Frame: CustomStringConvertible {
    /// The byte count and, for up to 16 bytes, the bytes, e.g. `3 bytes [1, 2, 3]`.
    public var description: String { count <= 16 ? "\(count) bytes \(bytes)" : "\(count) bytes" }
}

/// What keeps a frame's bytes alive: `base` stays valid and unchanged for the storage's lifetime.
class FrameStorage: @unchecked Sendable {
    let base: UnsafeRawPointer?
    let count: Int

    init(base: UnsafeRawPointer?, count: Int) {
        self.base = base
        self.count = count
    }

    /// Where the bytes lie in the sender's ``SharedMemoryRegion``, or nil when they are in
    /// this process's own memory (then a message carries them rather than naming them).
    var sharedOffset: Int? { nil }
}

/// A frame in a Swift array. A native array keeps its elements in one heap object that never
/// moves; `values` keeps that object alive, and, being a `let` no one else can write through,
/// unchanged (a caller's later write to its own copy of the array copies first). So the address
/// read once at creation stays valid for as long as this storage lives.
private final class ArrayFrameStorage<Element: BitwiseCopyable>: FrameStorage, @unchecked Sendable {
    let values: [Element]

    init(_ values: [Element]) {
        self.values = values
        let bytes = values.withUnsafeBytes { $0 }
        super.init(base: bytes.baseAddress, count: bytes.count)
    }
}
