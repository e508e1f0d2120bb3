/// Combines the shard results of one step, in shard-index order, whatever order they arrived in
/// and whichever worker or thread computed them: the same inputs give bit-identical outputs.
public enum StepReducer {
    /// The reduced step: total loss sums, the combined BatchNorm statistics and the mean
    /// gradient's sum of squares.
    public struct Reduction {
        public var loss: LossSums
        public var batchStatistics: [Float]
        /// `Σ g[i]²` of the mean gradient, in Double, in ``SquareSum``'s fixed order.
        public var sumOfSquares: Double
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
        let ordered = results.sorted { $0.shardIndex < $1.shardIndex }
        precondition(!ordered.isEmpty, "reducing an empty step")
        let n = meanGradient.count
        let out = meanGradient.baseAddress!
        for r in ordered {
            precondition(r.gradients.count == n, "shard \(r.shardIndex) has \(r.gradients.count) gradients, expected \(n)")
        }
        let loss = ordered.reduce(LossSums.zero) { $0 + $1.loss }
        let scale = 1 / Float(loss.count)
        let chunk = SquareSum.chunk
        let chunks = (n + chunk - 1) / chunk
        let sumOfSquares = withUnsafeTemporaryAllocation(of: Double.self, capacity: max(chunks, 1)) { chunkSums in
            parallelism.forEachRange(count: n, alignment: chunk) { range in
                for chunkStart in Swift.stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                    let chunkEnd = Swift.min(chunkStart + chunk, n)
                    var squares = SquareSum()
                    // Block by block (the block stays in L1): the first shard, plus each later one in
                    // order, times the scale, then the block's squares. The same arithmetic as
                    // whole-array passes, with a fraction of their traffic.
                    for start in Swift.stride(from: chunkStart, to: chunkEnd, by: 4096) {
                        let end = Swift.min(start + 4096, chunkEnd)
                        ordered[0].gradients.withUnsafeBufferPointer { (out + start).update(from: $0.baseAddress! + start, count: end - start) }
                        for r in ordered.dropFirst() {
                            r.gradients.withUnsafeBufferPointer { g in
                                for i in start..<end { out[i] += g[i] }
                            }
                        }
                        for i in start..<end { out[i] *= scale }
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

    private static func combineStatistics(_ results: [ShardResult], channels: [Int], total: Int) -> [Float] {
        var combined = [Float](repeating: 0, count: channels.reduce(0) { $0 + 2 * $1 })
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
        return combined
    }
}
