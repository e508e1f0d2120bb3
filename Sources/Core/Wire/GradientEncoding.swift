/// How a shard result's gradients travel (configuration key `train.wire_gradients`):
/// `float32`, 4 bytes each, or `bf16`, 2 bytes each (bfloat16: the upper half of the float32
/// after rounding to nearest even). Under `bf16` every shard's gradient sum is rounded before
/// it leaves the executor, in workers and in the single-process trainer alike, so results stay
/// bit-identical across worker counts; the wire then carries the rounded values exactly.
public enum GradientEncoding: UInt8, Codable, Sendable, CaseIterable {
    case float32 = 0
    case bfloat16 = 1

    /// The value of `train.wire_gradients` that selects it: `float32` or `bf16`.
    public var configName: String {
        switch self {
        case .float32: return "float32"
        case .bfloat16: return "bf16"
        }
    }

    /// The encoding `train.wire_gradients` names, or nil for another text.
    public init?(configName: String) {
        guard let match = GradientEncoding.allCases.first(where: { $0.configName == configName }) else { return nil }
        self = match
    }

    /// Bytes one gradient takes on the wire.
    public var bytesPerValue: Int { self == .float32 ? 4 : 2 }
}

/// bfloat16 conversion: 1 sign, 8 exponent and 7 mantissa bits, the upper half of a float32.
public enum BFloat16 {
    /// The bfloat16 nearest to `x` (ties to even). Infinities keep their sign, a finite value
    /// beyond the largest bfloat16 becomes an infinity (as IEEE rounding does), and a NaN stays a
    /// (quiet) NaN with its sign.
    @inlinable
    public static func bits(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: b >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    /// The float32 with the same value as bfloat16 `bits` (exact).
    @inlinable
    public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Rounds every value of `values` in place to the nearest bfloat16 (``bits(_:)``).
    @inlinable
    public static func round(_ values: UnsafeMutableBufferPointer<Float>) {
        for i in values.indices { values[i] = float(bits(values[i])) }
    }
}
