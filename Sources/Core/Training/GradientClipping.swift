/// `optimizer.clip_value` and `optimizer.clip_norm`, applied to the reduced mean gradient of a
/// step (after the shard-order reduce, before the optimiser), so single-process and distributed
/// runs clip the same numbers the same way.
///
/// The global L2 norm is a sum of squares in Double over all student gradients in a fixed order
/// (``sumOfSquares(_:count:)``), which is deterministic and finite exactly when every element is
/// finite (Float squares stay far below Double's range). Elementwise clamping comes first, then norm scaling, so the
/// result satisfies both bounds.
public struct GradientClipping: Sendable, Equatable {
    /// Elements are clamped to [−maxValue, maxValue]; 0: off.
    public let maxValue: Float
    /// The gradient is scaled by `maxNorm / norm` when its L2 norm exceeds `maxNorm`; 0: off.
    public let maxNorm: Float

    public init(maxValue: Float, maxNorm: Float) {
        self.maxValue = maxValue
        self.maxNorm = maxNorm
    }

    /// The clipping a configuration asks for (`optimizer.clip_value`, `optimizer.clip_norm`).
    public init(config: RunConfig) {
        self.init(maxValue: config.float("optimizer.clip_value"), maxNorm: config.float("optimizer.clip_norm"))
    }

    /// What ``apply(to:)`` found and did.
    public struct Outcome: Sendable, Equatable {
        /// The L2 norm before clipping; not finite when some element is not.
        public var norm: Double
        /// True when clipping changed the gradient.
        public var clipped: Bool
    }

    /// Measures `gradient` and, when every element is finite, clips it in place. A non-finite
    /// gradient is left as it is (the step is refused by ``DivergenceGuard``).
    public func apply(to gradient: UnsafeMutableBufferPointer<Float>) -> Outcome {
        let g = gradient.baseAddress!
        let n = gradient.count
        let norm = GradientClipping.sumOfSquares(g, count: n).squareRoot()
        guard norm.isFinite else { return Outcome(norm: norm, clipped: false) }
        var clipped = false
        var clippedNorm = norm
        if maxValue > 0 {
            var changed = false
            for i in 0..<n {
                let v = Swift.min(Swift.max(g[i], -maxValue), maxValue)
                if v != g[i] { changed = true; g[i] = v }
            }
            if changed { clipped = true; clippedNorm = GradientClipping.sumOfSquares(g, count: n).squareRoot() }
        }
        if maxNorm > 0, clippedNorm > Double(maxNorm) {
            let scale = Float(Double(maxNorm) / clippedNorm)
            for i in 0..<n { g[i] *= scale }
            clipped = true
        }
        return Outcome(norm: norm, clipped: clipped)
    }

    /// `Σ g[i]²` in Double, in eight lanes (element `i` goes to lane `i mod 8`, the last `n mod 8`
    /// elements to lanes 0, 1, …) added together in lane order at the end: a fixed order, so every
    /// process gets the same bits, with eight independent chains of additions instead of one.
    static func sumOfSquares(_ g: UnsafePointer<Float>, count n: Int) -> Double {
        var low = SIMD4<Double>(), high = SIMD4<Double>()
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            let a = SIMD4<Double>(v.lowHalf), b = SIMD4<Double>(v.highHalf)
            low += a * a
            high += b * b
            i += 8
        }
        var lanes = SIMD8<Double>(lowHalf: low, highHalf: high)
        for lane in 0..<(n - i) { lanes[lane] += Double(g[i + lane]) * Double(g[i + lane]) }
        var sum = 0.0
        for lane in 0..<8 { sum += lanes[lane] }
        return sum
    }
}
