/// `optimizer.clip_value` and `optimizer.clip_norm`, applied to the reduced mean gradient of a
/// step (after the shard-order reduce, before the optimiser), so single-process and distributed
/// runs clip the same numbers the same way.
///
/// The global L2 norm is a sum of squares in Double over all student gradients in a fixed order
/// (``SquareSum``), which is deterministic and finite exactly when every element is finite.
/// Elementwise clamping comes first, then norm scaling, so the result satisfies both bounds.
public struct GradientClipping: Sendable, Equatable {
    /// Elements are clamped to [−maxValue, maxValue]; 0: off.
    public let maxValue: Float
    /// The gradient is scaled by `maxNorm / norm` when its L2 norm exceeds `maxNorm`; 0: off.
    public let maxNorm: Float

    /// True when neither bound is set: ``apply(to:sumOfSquares:parallelism:)`` only measures.
    public var isOff: Bool { maxValue == 0 && maxNorm == 0 }

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
    /// gradient is left as it is (the step is refused by ``DivergenceGuard``). `sumOfSquares`,
    /// when given, is the gradient's ``SquareSum`` (``StepReducer`` computes it as it reduces);
    /// scaling runs on `parallelism`'s threads.
    public func apply(to gradient: UnsafeMutableBufferPointer<Float>, sumOfSquares: Double? = nil,
                      parallelism: ElementwiseParallelism = .serial) -> Outcome {
        let g = gradient.baseAddress!
        let n = gradient.count
        let norm = (sumOfSquares ?? SquareSum.total(g, count: n)).squareRoot()
        guard norm.isFinite else { return Outcome(norm: norm, clipped: false) }
        var clipped = false
        var clippedNorm = norm
        if maxValue > 0 {
            var changed = false
            for i in 0..<n {
                let v = Swift.min(Swift.max(g[i], -maxValue), maxValue)
                if v != g[i] { changed = true; g[i] = v }
            }
            if changed { clipped = true; clippedNorm = SquareSum.total(g, count: n).squareRoot() }
        }
        if maxNorm > 0, clippedNorm > Double(maxNorm) {
            let scale = Float(Double(maxNorm) / clippedNorm)
            parallelism.forEachRange(count: n) { range in
                for i in range { g[i] *= scale }
            }
            clipped = true
        }
        return Outcome(norm: norm, clipped: clipped)
    }
}
