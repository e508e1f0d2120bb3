import COptimizer

/// The gradient an optimiser step reads: the mean of one or more shards' gradients, element `i`
/// being `((g₀[i] + g₁[i]) + …) · scale`, summed in shard order as ``StepReducer`` does; one
/// gradient with scale 1 is that gradient itself. Optimisers compute each element's mean as they
/// use it, so a step over shards' results never writes the mean out and reads it back.
public struct MeanGradient {
    /// Each shard's gradient, at element 0 of the parameter buffer; valid while the step runs.
    let shards: UnsafeBufferPointer<UnsafePointer<Float>?>
    /// The factor applied to the sum: 1 / (samples in the step).
    let scale: Float

    /// The mean of `shards`' gradients (each at element 0), times `scale`.
    public init(shards: UnsafeBufferPointer<UnsafePointer<Float>?>, scale: Float) {
        precondition(!shards.isEmpty, "a mean gradient of no shards")
        self.shards = shards
        self.scale = scale
    }

    /// Largest piece of a range whose mean ``forEachBlock(of:_:)`` writes out at a time (16 KiB,
    /// so it stays in L1 while the optimiser reads it).
    static let block = 4096

    /// Calls `body(piece, mean)` for consecutive pieces of `range`, `mean` pointing at the mean
    /// gradient of the piece's first element: for optimisers whose arithmetic stays in Swift.
    /// A single gradient with scale 1 is passed in place; otherwise each piece's mean is written
    /// into a buffer on the stack.
    func forEachBlock(of range: Range<Int>, _ body: (Range<Int>, UnsafePointer<Float>) -> Void) {
        if shards.count == 1, scale == 1, let g = shards[0] { return body(range, g + range.lowerBound) }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: Swift.min(range.count, Self.block)) { mean in
            for start in stride(from: range.lowerBound, to: range.upperBound, by: Self.block) {
                let end = Swift.min(start + Self.block, range.upperBound)
                distill_gradient_mean(shards.baseAddress, shards.count, start, end - start, scale, mean.baseAddress)
                body(start..<end, mean.baseAddress!)
            }
        }
    }
}
