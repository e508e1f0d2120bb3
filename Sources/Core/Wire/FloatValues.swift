/// float32 values held in an array or read in place from the ``Frame`` they arrived in: how a
/// shard result's gradients and a step's parameters reach the code that uses them without
/// being copied out of the received message. Hot paths read them through
/// ``withUnsafeBufferPointer(_:)``; the collection interface serves tests and messages, and a
/// write first copies the values into an array of their own.
///
/// Values also carry what this process has verified about them: ``checkedMagnitude``, a bound
/// on every value's magnitude set only by the scans that check it, and cleared by any write.
public struct FloatValues: Sendable {
    private enum Storage: Sendable {
        case array([Float])
        case frame(Frame)
    }

    private var storage: Storage {
        didSet { checkedMagnitude = nil }
    }

    /// A bound on the magnitude of every value, verified in this process: by
    /// ``verifyMagnitudes(within:)``, or by the decoder's checksum pass over the frame the values
    /// are read from (``Frame/checkedFloatMagnitude``); nil when none was. Any write clears it.
    /// Not part of equality and never sent.
    public private(set) var checkedMagnitude: Float?

    /// Values held in `values` (no copy).
    public init(_ values: [Float] = []) { storage = .array(values) }

    /// Values read in place from a shard's gradient buffer (no copy), unchecked.
    init(buffer: GradientBuffer) { storage = .frame(Frame(storage: buffer)) }

    /// Checks every value against `limit` (NaN fails) and returns the index of the first one
    /// outside it, or nil after recording `limit` as ``checkedMagnitude``. Values already checked
    /// against a bound within `limit` are not scanned again.
    public mutating func verifyMagnitudes(within limit: Float) -> Int? {
        if let checked = checkedMagnitude, checked <= limit { return nil }
        if let index = withUnsafeBufferPointer({ MagnitudeScan.firstIndex(beyond: limit, in: $0) }) { return index }
        checkedMagnitude = limit
        return nil
    }

    /// Records `limit` as ``checkedMagnitude`` after the caller scanned every value against it
    /// and found none beyond (``KernelGradientFold`` scans its sum on several threads).
    mutating func recordVerifiedMagnitudes(within limit: Float) { checkedMagnitude = limit }

    /// Values read in place from `frame`, or `nil` if its bytes are not a whole number of
    /// 4-byte-aligned float32s (the caller then copies them). They start with the frame's
    /// ``Frame/checkedFloatMagnitude`` as their ``checkedMagnitude``.
    init?(frame: Frame) {
        let aligned = frame.withUnsafeBytes { bytes in
            bytes.count % MemoryLayout<Float>.stride == 0
                && UInt(bitPattern: bytes.baseAddress) % UInt(MemoryLayout<Float>.alignment) == 0
        }
        guard aligned else { return nil }
        storage = .frame(frame)
        checkedMagnitude = frame.checkedFloatMagnitude
    }

    /// Calls `body` with the values; the pointer is valid only inside `body`.
    public func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
        switch storage {
        case let .array(values):
            return try values.withUnsafeBufferPointer(body)
        case let .frame(frame):
            return try frame.withUnsafeBytes { try body($0.assumingMemoryBound(to: Float.self)) }
        }
    }

    /// Where the values lie in a ``SharedMemoryRegion`` (a message then names them), or nil.
    var sharedOffset: Int? {
        if case let .frame(frame) = storage { return frame.sharedOffset }
        return nil
    }

    /// The values as a frame to send: the array or the received frame itself, not a copy.
    var frame: Frame {
        switch storage {
        case let .array(values): return Frame(floats: values)
        case let .frame(frame): return frame
        }
    }
}

extension FloatValues: RandomAccessCollection, MutableCollection {
    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch storage {
        case let .array(values): return values.count
        case let .frame(frame): return frame.count / MemoryLayout<Float>.stride
        }
    }

    /// The value at `index`; setting it first moves frame-held values into an array.
    public subscript(index: Int) -> Float {
        get { withUnsafeBufferPointer { $0[index] } }
        set {
            var values: [Float]
            switch storage {
            case let .array(held): values = held
            case .frame: values = withUnsafeBufferPointer { Array($0) }
            }
            storage = .array([])  // leaves `values` the only reference, so the write below does not copy
            values[index] = newValue
            storage = .array(values)
        }
    }
}

extension FloatValues: Equatable {
    /// Equal when the values are (`==` per element, as for `[Float]`).
    public static func == (a: FloatValues, b: FloatValues) -> Bool {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.elementsEqual(y) } }
    }
}

extension FloatValues: ExpressibleByArrayLiteral {
    /// Values held in an array of the listed values.
    public init(arrayLiteral values: Float...) { self.init(values) }
}
