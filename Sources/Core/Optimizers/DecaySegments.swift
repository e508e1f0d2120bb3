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

    /// Calls `body(piece, decay)` for the pieces of `range` that lie in each segment, in order.
    func forEachSegment(in range: Range<Int>, _ body: (Range<Int>, Float) -> Void) {
        for (segment, decay) in segments {
            let lower = Swift.max(segment.lowerBound, range.lowerBound), upper = Swift.min(segment.upperBound, range.upperBound)
            if lower < upper { body(lower..<upper, decay) }
        }
    }
}
