/// The parameter buffer cut into consecutive segments, each with the weight decay that applies
/// there: `weightDecay` inside the decay mask (everywhere when the mask is `nil`), 0 outside.
/// Built once so that `step` loops over a handful of segments without allocating.
struct DecaySegments {
    /// Ranges covering `0..<parameterCount` in order, with their decay.
    let segments: [(range: Range<Int>, decay: Float)]

    init(parameterCount: Int, weightDecay: Float, mask: [Range<Int>]?, kind: String) {
        guard let mask, weightDecay != 0 else {
            segments = [(0..<parameterCount, weightDecay)]
            return
        }
        var result: [(range: Range<Int>, decay: Float)] = []
        var position = 0
        for range in mask.sorted(by: { $0.lowerBound < $1.lowerBound }) where !range.isEmpty {
            precondition(range.lowerBound >= position && range.upperBound <= parameterCount,
                         "\(kind): decay mask range \(range) overlaps another or leaves 0..<\(parameterCount)")
            if range.lowerBound > position { result.append((position..<range.lowerBound, 0)) }
            result.append((range, weightDecay))
            position = range.upperBound
        }
        if position < parameterCount { result.append((position..<parameterCount, 0)) }
        segments = result
    }

    /// Calls `body(range, decay)` for the segments cut into `parallelism`'s ranges, side by side:
    /// an optimiser's update of element `i` depends on element `i` alone, so the split changes no bit.
    func forEachPiece(_ parallelism: ElementwiseParallelism, _ body: (Range<Int>, Float) -> Void) {
        parallelism.forEachRange(count: segments.last?.range.upperBound ?? 0) { part in
            for (range, decay) in segments {
                let lower = Swift.max(range.lowerBound, part.lowerBound), upper = Swift.min(range.upperBound, part.upperBound)
                if lower < upper { body(lower..<upper, decay) }
            }
        }
    }
}
