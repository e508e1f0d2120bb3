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
    static let block = 4096

    /// Whether the mean gradient of `results` is finite by what this process has checked: every
    /// result's gradients carry a ``FloatValues/checkedMagnitude`` (the worker results the
    /// coordinator accepted, and local results), the bounds add up to half of Float's range at
    /// most (so no partial sum overflows), and the step has samples.
    public static func meanIsFinite(_ results: [ShardResult]) -> Bool {
        var bound = 0.0
        var samples = 0
        for r in results {
            guard let b = r.gradients.checkedMagnitude else { return false }
            bound += Double(b)
            samples += r.count
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
        let sumOfSquares = withUnsafeTemporaryAllocation(of: Double.self, capacity: max(chunks, 1)) { chunkSums in
            parallelism.forEachRange(count: n, alignment: chunk) { range in
                for chunkStart in Swift.stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                    let chunkEnd = Swift.min(chunkStart + chunk, n)
                    var squares = SquareSum()
                    // Block by block (the block stays in L1): the mean, then the block's squares.
                    // The same arithmetic as whole-array passes, with a fraction of their traffic.
                    for start in Swift.stride(from: chunkStart, to: chunkEnd, by: block) {
                        let end = Swift.min(start + block, chunkEnd)
                        mean(of: ordered, start..<end, scale: scale, into: out + start)
                        squares.add(out + start, count: end - start)
                    }
                    chunkSums[chunkStart / chunk] = squares.chunkTotal
                }
            }
            var total = 0.0
            for c in 0..<chunks { total += chunkSums[c] }
            return total
        }
        return Reduction(loss: loss, batchStatistics: combineStatistics(ordered, channels: channels, total: loss.count),
                         sumOfSquares: sumOfSquares)
    }

    /// The one-pass reduce and optimiser step. ``reduce(_:channels:applying:learningRate:to:scratch:parallelism:accept:)``
    /// keeps its call's state in the instance while its threads run, so a caller that keeps one
    /// instance allocates nothing per step; calls on one instance must not overlap.
    public final class OnePass {
        private var ordered: [ShardResult] = []
        private var scale: Float = 0
        private var optimizer: Optimizer?
        private var parameters: UnsafeMutablePointer<Float>?
        private var blocks: UnsafeMutablePointer<Float>?
        /// The combined statistics of the last call, refilled in place once its caller let go of them.
        private var statistics: [Float] = []

        public init() {}

        /// Reduces as ``StepReducer/reduce(_:channels:into:parallelism:)`` and, when `accept`
        /// (given the step's loss sums) does not throw, has `optimizer` apply a step at
        /// `learningRate` to `parameters`, one block of the mean gradient at a time while the
        /// block is in cache: the mean gradient is neither written out nor read back, and its sum
        /// of squares is not measured. `scratch` (the parameter count long; its contents are left
        /// unspecified) holds the blocks. The parameters and the optimiser's state get the same
        /// bits as the reduce followed by ``Optimizer/step(parameters:gradients:learningRate:)``,
        /// for any thread count.
        ///
        /// Parameters change as the pass runs, so it is for a step that is not clipped and whose
        /// mean gradient is finite (``StepReducer/meanIsFinite(_:)``); `accept` checks the loss.
        /// When it throws, nothing has changed.
        public func reduce(
            _ results: [ShardResult], channels: [Int], applying optimizer: Optimizer, learningRate: Float,
            to parameters: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>,
            parallelism: ElementwiseParallelism = .serial, accept: (LossSums) throws -> Void
        ) rethrows -> Reduction {
            let ordered = checkedOrder(results, parameterCount: parameters.count)
            precondition(scratch.count >= parameters.count, "scratch of \(scratch.count) for \(parameters.count) parameters")
            let loss = ordered.reduce(LossSums.zero) { $0 + $1.loss }
            try accept(loss)
            optimizer.beginStep(learningRate: learningRate)
            if let p = parameters.baseAddress, let blocks = scratch.baseAddress {
                (self.ordered, self.optimizer, self.parameters, self.blocks) = (ordered, optimizer, p, blocks)
                scale = 1 / Float(loss.count)
                parallelism.forEachRange(count: parameters.count, alignment: block, job: self)
                (self.ordered, self.optimizer, self.parameters, self.blocks) = ([], nil, nil, nil)
            }
            combineStatistics(ordered, channels: channels, total: loss.count, into: &statistics)
            return Reduction(loss: loss, batchStatistics: statistics, sumOfSquares: nil)
        }
    }

    /// `results` in shard-index order (sorted only when they are not), each with `parameterCount` gradients.
    private static func checkedOrder(_ results: [ShardResult], parameterCount n: Int) -> [ShardResult] {
        let inOrder = zip(results, results.dropFirst()).allSatisfy { $0.shardIndex < $1.shardIndex }
        let ordered = inOrder ? results : results.sorted { $0.shardIndex < $1.shardIndex }
        precondition(!ordered.isEmpty, "reducing an empty step")
        for r in ordered {
            precondition(r.gradients.count == n, "shard \(r.shardIndex) has \(r.gradients.count) gradients, expected \(n)")
        }
        return ordered
    }

    /// Writes the mean of `ordered`'s gradients over `range` to `out[0..<range.count]`: the
    /// first shard's values, plus each later one's in order, times `scale`.
    @inline(__always)
    fileprivate static func mean(of ordered: [ShardResult], _ range: Range<Int>, scale: Float, into out: UnsafeMutablePointer<Float>) {
        let count = range.count
        ordered[0].gradients.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + range.lowerBound, count: count) }
        for r in ordered.dropFirst() {
            r.gradients.withUnsafeBufferPointer { g in
                let g = g.baseAddress! + range.lowerBound
                for i in 0..<count { out[i] += g[i] }
            }
        }
        for i in 0..<count { out[i] *= scale }
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
    /// The mean gradient of `range`, block by block into the range's own first elements of the
    /// scratch buffer, each block handed to the optimiser.
    func run(_ range: Range<Int>) {
        let meanBlock = blocks! + range.lowerBound
        for start in Swift.stride(from: range.lowerBound, to: range.upperBound, by: StepReducer.block) {
            let end = Swift.min(start + StepReducer.block, range.upperBound)
            StepReducer.mean(of: ordered, start..<end, scale: scale, into: meanBlock)
            optimizer!.update(start..<end, parameters: parameters!, gradients: meanBlock)
        }
    }
}
