#if canImport(Glibc)
import Glibc
#endif

/// A counter-based random generator: every draw is a pure function of a key and a counter.
///
/// Distill never uses a global random state. A key is derived from the run seed and the
/// coordinates of what is being randomised (epoch, step, sample, layer, ...), so a value is
/// the same whichever process or thread computes it. The mixing function is SplitMix64's
/// finaliser applied to the key combined with the counter, which passes BigCrush for this use.
public struct KeyedRandom: Sendable, Hashable {
    /// The 64-bit key all draws of this generator derive from.
    public let key: UInt64

    /// A generator for `seed` refined by any number of coordinates, e.g.
    /// `KeyedRandom(seed: 7, 3, 128)` for (seed 7, epoch 3, sample 128).
    public init(seed: UInt64, _ coordinates: UInt64...) {
        var k = KeyedRandom.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        for c in coordinates { k = KeyedRandom.mix(k ^ KeyedRandom.mix(c &+ 0xD1B5_4A32_D192_ED03)) }
        key = k
    }

    private init(rawKey: UInt64) { key = rawKey }

    /// A child generator for one more coordinate.
    @inlinable public func child(_ coordinate: UInt64) -> KeyedRandom {
        KeyedRandom(seed: key, coordinate)
    }

    /// SplitMix64 finaliser.
    @inlinable public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64 random bits for `counter`.
    @inlinable public func bits(_ counter: UInt64) -> UInt64 {
        KeyedRandom.mix(key &+ counter &* 0x9E37_79B9_7F4A_7C15)
    }

    /// A uniform Float in [0, 1) for `counter` (24 random bits).
    @inlinable public func uniform(_ counter: UInt64) -> Float {
        Float(bits(counter) >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in [0, 1) for `counter` (53 random bits).
    @inlinable public func uniformDouble(_ counter: UInt64) -> Double {
        Double(bits(counter) >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A uniform integer in `0..<bound` for `counter` (bound > 0).
    @inlinable public func index(_ counter: UInt64, below bound: Int) -> Int {
        Int(bits(counter).multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A standard normal draw for `counter` (Box–Muller on two derived uniforms).
    @inlinable public func normal(_ counter: UInt64) -> Float {
        let u1 = Swift.max(uniformDouble(counter &* 2), 1e-300)
        let u2 = uniformDouble(counter &* 2 &+ 1)
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }
}

@usableFromInline func _log(_ x: Double) -> Double { log(x) }
@usableFromInline func _cos(_ x: Double) -> Double { cos(x) }
