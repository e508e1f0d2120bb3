/// How one parameter array is initialised: a distribution, drawn element by element from a
/// ``KeyedRandom`` so that element `i` of an array depends only on (seed, array, i).
public enum Initializer: Sendable, Equatable {
    case zeros
    case ones
    /// U(−limit, limit).
    case uniform(limit: Float)
    /// N(0, σ'²) truncated at ±2σ' and redrawn outside, with σ' = `standardDeviation` / 0.87962566
    /// so that the truncated distribution's standard deviation is `standardDeviation` (Keras'
    /// `VarianceScaling` with `truncated_normal`).
    case truncatedNormal(standardDeviation: Float)

    /// σ'/σ of a normal truncated at ±2σ': the standard deviation of N(0, 1) restricted to [−2, 2].
    public static let truncatedNormalShrink: Float = 0.879_625_66

    /// Element `index` of an array drawn from `random`.
    @inlinable public func value(_ index: Int, random: KeyedRandom) -> Float {
        switch self {
        case .zeros: return 0
        case .ones: return 1
        case let .uniform(limit):
            return (random.uniform(UInt64(index)) * 2 - 1) * limit
        case let .truncatedNormal(standardDeviation):
            // Attempt a of element i uses counter i + a·2⁴⁰; 95.4% of first draws are kept.
            var attempt: UInt64 = 0
            var z: Float
            repeat {
                z = random.normal(UInt64(index) &+ attempt << 40)
                attempt += 1
            } while abs(z) > 2
            return z * (standardDeviation / Initializer.truncatedNormalShrink)
        }
    }
}
