import COptimizer

/// Combines the shard results of one step, in shard-index order, whatever order they arrived in
/// and whichever worker or thread computed them: the same inputs give bit-identical outputs.
public enum StepReducer {
    /// The reduced step: total loss sums, the combined BatchNorm statistics and the mean
    /// gradient's sum of squares.
    public struct Reduction {
        public var loss: LossSums
        public var batchStatistics: [Float]
        /// `Σ g[i]²` of the mean gradient, in Double, in ``SquareSum``'s fixed order; nil after
        /// ``OnePass``, which does not measure it.
        public var sumOfSquares: Double?
    }

    /// Elements of the mean gradient computed at a time (16 KiB: the block stays in L1 while it is used).
    static let block = MeanGradient.block

    /// Whether the mean gradient of `results` is finite by what this process has checked: every
    /// result's gradients carry a ``FloatValues/checkedMagnitude`` (the worker results the
    /// coordinator accepted, and local results), the bounds add up to half of Float's range at
    /// most (so no partial sum overflows), and the step has samples.
    public static func meanIsFinite(_ results: [ShardResult]) -> Bool {
        var bound = 0.0
        var samples = 0
        for r in results {
            samples += r.count
            if r.gradientsFolded { continue }
            guard let b = r.gradients.checkedMagnitude else { return false }
            bound += Double(b)
        }
        return samples > 0 && bound <= Double(Float.greatestFiniteMagnitude) / 2
    }

    /// Writes the sample-weighted mean gradient `Σ_s g_s / Σ_s n_s` into `meanGradient`
    /// (sum as a left fold in shard-index order, accumulated in Float) and returns the loss
    /// sums, the mean gradient's sum of squares and the BatchNorm statistics combined over all
    /// samples: `mean = Σ n_s·μ_s / N`, `var = Σ n_s·(σ²_s + (μ_s − mean)²) / N` per channel.
    /// `channels` lists the channel count of each BatchNorm, in layout order. The gradient is
    /// split over `parallelism`'s threads in whole ``SquareSum`` chunks: the same bits for any
    /// thread count.
    public static func reduce(
        _ results: [ShardResult], channels: [Int], into meanGradient: UnsafeMutableBufferPointer<Float>,
        parallelism: ElementwiseParallelism = .serial
    ) -> Reduction {
        let ordered = checkedOrder(results, parameterCount: meanGradient.count)
        let n = meanGradient.count
        let out = meanGradient.baseAddress!
        let loss = ordered.reduce(LossSums.zero) { $0 + $1.loss }
        let scale = 1 / Float(loss.count)
        let chunk = SquareSum.chunk
        let chunks = (n + chunk - 1) / chunk
        let sumOfSquares = withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: ordered.count) { shards in
            withGradients(of: ordered[...], in: shards.baseAddress!) { count in
                withUnsafeTemporaryAllocation(of: Double.self, capacity: max(chunks, 1)) { chunkSums in
                    parallelism.forEachRange(count: n, alignment: chunk) { range in
                        for chunkStart in Swift.stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                            let chunkEnd = Swift.min(chunkStart + chunk, n)
                            var squares = SquareSum()
                            // Block by block (the block stays in L1): the mean, then the block's squares.
                            // The same arithmetic as whole-array passes, with a fraction of their traffic.
                            for start in Swift.stride(from: chunkStart, to: chunkEnd, by: block) {
                                let end = Swift.min(start + block, chunkEnd)
                                distill_gradient_mean(shards.baseAddress, count, start, end - start, scale, out + start)
                                squares.add(out + start, count: end - start)
                            }
                            chunkSums[chunkStart / chunk] = squares.chunkTotal
                        }
                    }
                    var total = 0.0
                    for c in 0..<chunks { total += chunkSums[c] }
                    return total
                }
            }
        }
        return Reduction(loss: loss, batchStatistics: combineStatistics(ordered, channels: channels, total: loss.count),
                         sumOfSquares: sumOfSquares)
    }

    /// The one-pass reduce and optimiser step. ``reduce(_:channels:applying:learningRate:to:parallelism:accept:)``
    /// keeps its call's state in the instance while its threads run, so a caller that keeps one
    /// instance allocates nothing per step; calls on one instance must not overlap.
    public final class OnePass {
        private var optimizer: Optimizer?
        private var parameters: UnsafeMutablePointer<Float>?
        private var gradient: MeanGradient?
        /// Room for the shards' gradient pointers, grown when a step has more shards.
        private var shards = UnsafeMutableBufferPointer<UnsafePointer<Float>?>.allocate(capacity: 8)
        /// The combined statistics of the last call, refilled in place once its caller let go of them.
        private var statistics: [Float] = []

        public init() {}

        deinit { shards.deallocate() }

        /// Reduces as ``StepReducer/reduce(_:channels:into:parallelism:)`` and, when `accept`
        /// (given the step's loss sums) does not throw, has `optimizer` apply a step at
        /// `learningRate` to `parameters`, reading the shards' gradients as a ``MeanGradient``:
        /// the mean gradient is neither written out nor read back, and its sum of squares is not
        /// measured. The parameters and the optimiser's state get the same bits as the reduce
        /// followed by ``Optimizer/step(parameters:gradients:learningRate:)``, for any thread count.
        ///
        /// Parameters change as the pass runs, so it is for a step that is not clipped and whose
        /// mean gradient is finite (``StepReducer/meanIsFinite(_:)``); `accept` checks the loss.
        /// When it throws, nothing has changed.
        public func reduce(
            _ results: [ShardResult], channels: [Int], applying optimizer: Optimizer, learningRate: Float,
            to parameters: UnsafeMutableBufferPointer<Float>, parallelism: ElementwiseParallelism = .serial,
            accept: (LossSums) throws -> Void
        ) rethrows -> Reduction {
            let ordered = checkedOrder(results, parameterCount: parameters.count)
            let loss = ordered.reduce(LossSums.zero) { $0 + $1.loss }
            try accept(loss)
            optimizer.beginStep(learningRate: learningRate)
            if let p = parameters.baseAddress {
                if shards.count < ordered.count {
                    shards.deallocate()
                    shards = .allocate(capacity: ordered.count)
                }
                withGradients(of: ordered[...], in: shards.baseAddress!) { count in
                    let gradient = MeanGradient(shards: UnsafeBufferPointer(rebasing: shards[..<count]),
                                                scale: 1 / Float(loss.count))
                    (self.optimizer, self.parameters, self.gradient) = (optimizer, p, gradient)
                    parallelism.forEachRange(count: parameters.count, alignment: block, job: self)
                    (self.optimizer, self.parameters, self.gradient) = (nil, nil, nil)
                }
            }
            combineStatistics(ordered, channels: channels, total: loss.count, into: &statistics)
            return Reduction(loss: loss, batchStatistics: statistics, sumOfSquares: nil)
        }
    }

    /// Calls `body` with the gradients of `results`, in order, at `pointers` (element 0 of each;
    /// valid only inside `body`) and their count: results whose gradients were folded into an
    /// earlier one (``ShardResult/gradientsFolded``) have none.
    private static func withGradients<R>(
        of results: ArraySlice<ShardResult>, in pointers: UnsafeMutablePointer<UnsafePointer<Float>?>, count: Int = 0,
        _ body: (Int) throws -> R
    ) rethrows -> R {
        guard let first = results.first else { return try body(count) }
        if first.gradientsFolded { return try withGradients(of: results.dropFirst(), in: pointers, count: count, body) }
        return try first.gradients.withUnsafeBufferPointer { g in
            pointers.pointee = g.baseAddress
            return try withGradients(of: results.dropFirst(), in: pointers + 1, count: count + 1, body)
        }
    }

    /// `results` in shard-index order (sorted only when they are not), each with `parameterCount` gradients.
    private static func checkedOrder(_ results: [ShardResult], parameterCount n: Int) -> [ShardResult] {
        let inOrder = zip(results, results.dropFirst()).allSatisfy { $0.shardIndex < $1.shardIndex }
        let ordered = inOrder ? results : results.sorted { $0.shardIndex < $1.shardIndex }
        precondition(!ordered.isEmpty, "reducing an empty step")
        for r in ordered {
            precondition(r.gradientsFolded || r.gradients.count == n,
                         "shard \(r.shardIndex) has \(r.gradients.count) gradients, expected \(n)")
        }
        return ordered
    }

    private static func combineStatistics(_ results: [ShardResult], channels: [Int], total: Int) -> [Float] {
        var combined: [Float] = []
        combineStatistics(results, channels: channels, total: total, into: &combined)
        return combined
    }

    /// The combined BatchNorm statistics written into `combined` (reusing its storage when
    /// nothing else holds it).
    private static func combineStatistics(_ results: [ShardResult], channels: [Int], total: Int, into combined: inout [Float]) {
        let count = channels.reduce(0) { $0 + 2 * $1 }
        if combined.count != count { combined = [Float](repeating: 0, count: count) }
        var o = 0
        for c in channels {
            for j in 0..<c {
                var mean = 0.0
                for r in results { mean += Double(r.count) * Double(r.batchStatistics[o + j]) }
                mean /= Double(total)
                var variance = 0.0
                for r in results {
                    let d = Double(r.batchStatistics[o + j]) - mean
                    variance += Double(r.count) * (Double(r.batchStatistics[o + c + j]) + d * d)
                }
                combined[o + j] = Float(mean)
                combined[o + c + j] = Float(variance / Double(total))
            }
            o += 2 * c
        }
    }
}

extension StepReducer.OnePass: RangeJob {
    /// The optimiser's update of `range`, reading the shards' gradients.
    func run(_ range: Range<Int>) {
        optimizer!.update(range, parameters: parameters!, gradient: gradient!)
    }
}
