import CGEMM

/// Sums the Dense kernel gradients of one step's shards inside the products that compute them,
/// for a ``LocalShardPool`` whose executors each took one shard: the shards' backward passes
/// leave `dW = xᵀ · dy` undone (``Dense/deferredKernelGradient``), and each thread then
/// computes its share of every kernel's columns as the first shard's product (beta 0) followed
/// by each later shard's product added onto it (beta 1), in shard order, into the first shard's
/// gradient buffer. The other gradients (biases, BatchNorm, convolutions) of later shards are
/// added onto the first shard's in the same order, and the sum is scanned like a result.
///
/// Distill's kernel sums a product with k at most its slice depth in one chain from zero and adds
/// it to C once, so each element is `fl(fl(g₀ + g₁) + …)`: exactly the reducer's left fold of the
/// shards' own gradients (``StepReducer``). The reducer then reads one gradient instead of one
/// per shard (the first result carries the sum; the others are marked
/// ``ShardResult/gradientsFolded``), and the shards' kernel gradients are stored once instead of
/// once per shard. Used only when it gives those bits: Distill's kernel, float32 gradients,
/// shards within the slice depth, and Dense kernels holding at least half of the parameters (for
/// a network of convolutions, adding their gradients here would only move the reducer's work).
final class KernelGradientFold: CrewJob {
    /// The step's executors in shard order (emptied after each call, capacity kept).
    private var shards: [ShardExecutor] = []
    /// Result indices in shard order.
    private var order: [Int] = []
    private var parts = 1
    /// The first shard's gradient buffer, and where its kernels lie in it (sorted).
    private var sum = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    private var kernels: [Range<Int>] = []
    /// The phase the crew runs: summing, then scanning the sum.
    private var scanning = false
    /// Per part: whether its scan found a value beyond the results' bound.
    private var beyond: [Bool] = []

    /// Whether `executors` can fold a step of `tasks` (one task per executor) with the bits of the reducer.
    static func applies(to tasks: [ShardTask], executors: [ShardExecutor]) -> Bool {
        guard tasks.count >= 2, tasks.count <= executors.count, BLAS.kernel == .distillAVX512 else { return false }
        let depth = distill_sgemm_slice_depth()
        guard tasks.allSatisfy({ $0.count <= depth }), executors.allSatisfy({ $0.gradientEncoding == .float32 }) else { return false }
        let first = executors[0]
        let kernelValues = first.denseLayers.reduce(0) { $0 + $1.inputFeatures * $1.units }
        return 2 * kernelValues >= first.student.layout.parameterCount
    }

    /// Folds the gradients of `results` (computed by `executors`, result `i` by executor `i`,
    /// with ``ShardExecutor/defersKernelGradients``) into the result of the lowest shard index,
    /// on `crew` and the calling thread (`threads` parts), and marks the others folded.
    func fold(_ results: inout [ShardResult], executors: [ShardExecutor], crew: ThreadCrew?, threads: Int) {
        let started = MonotonicClock.now()
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: results.indices)
        if !zip(order, order.dropFirst()).allSatisfy({ results[$0].shardIndex < results[$1].shardIndex }) {
            order.sort { results[$0].shardIndex < results[$1].shardIndex }
        }
        shards.removeAll(keepingCapacity: true)
        for i in order { shards.append(executors[i]) }
        sum = shards[0].lastGradients!
        kernels.removeAll(keepingCapacity: true)
        for dense in shards[0].denseLayers {
            guard let kernel = dense.deferredKernelGradient else { continue }
            let start = kernel.gradient - sum.baseAddress!
            kernels.append(start..<start + dense.inputFeatures * dense.units)
        }
        kernels.sort { $0.lowerBound < $1.lowerBound }
        // One part per shard at most, so each part times itself into its own executor.
        parts = crew == nil ? 1 : min(max(threads, 1), shards.count)
        beyond.removeAll(keepingCapacity: true)
        beyond.append(contentsOf: repeatElement(false, count: parts))
        scanning = false
        if parts > 1, let crew { crew.run(parts: parts, job: self) } else { run(part: 0) }
        scanning = true
        if parts > 1, let crew { crew.run(parts: parts, job: self) } else { run(part: 0) }
        let first = order[0]
        if !beyond.contains(true) { results[first].gradients.recordVerifiedMagnitudes(within: ResultShape.maxMagnitude) }
        results[first].computeSeconds += MonotonicClock.now() - started
        for i in order.dropFirst() {
            results[i].gradients = FloatValues()
            results[i].gradientsFolded = true
        }
        shards.removeAll(keepingCapacity: true)
    }

    /// Part `part`: its columns of every kernel and its element range of the rest, or its range's scan.
    func run(part: Int) {
        let started = MonotonicClock.now()
        let range = sum.count * part / parts..<sum.count * (part + 1) / parts
        if scanning {
            beyond[part] = MagnitudeScan.firstIndex(beyond: ResultShape.maxMagnitude, in: UnsafeBufferPointer(rebasing: sum[range])) != nil
            return
        }
        for (layer, dense) in shards[0].denseLayers.enumerated() {
            guard let target = dense.deferredKernelGradient else { continue }
            let columns = Self.columns(of: dense.units, part: part, parts: parts)
            guard !columns.isEmpty else { continue }
            for (s, shard) in shards.enumerated() {
                let operands = shard.denseLayers[layer].deferredKernelGradient!
                BLAS.gemm(transposeA: true, m: dense.inputFeatures, n: columns.count, k: operands.rows,
                          a: operands.x, lda: dense.inputFeatures, b: operands.dy + columns.lowerBound, ldb: dense.units,
                          beta: s == 0 ? 0 : 1, c: target.gradient + columns.lowerBound, ldc: dense.units)
            }
        }
        // The rest of the part's range, between the kernels: the left fold, element by element.
        var start = range.lowerBound
        for kernel in kernels {
            if kernel.lowerBound > start { addLaterShards(start..<min(kernel.lowerBound, range.upperBound)) }
            start = max(start, kernel.upperBound)
            if start >= range.upperBound { break }
        }
        if start < range.upperBound { addLaterShards(start..<range.upperBound) }
        shards[part].phaseSeconds.studentBackward += MonotonicClock.now() - started
    }

    /// `sum[i] += g[i]` over `range` for each later shard's gradient `g`, in shard order.
    private func addLaterShards(_ range: Range<Int>) {
        for shard in shards.dropFirst() {
            let other = shard.lastGradients!
            for i in range { sum[i] += other[i] }
        }
    }

    /// Part `part` of `parts` of `0..<units`, cut on multiples of the kernel's 32-column panels.
    private static func columns(of units: Int, part: Int, parts: Int) -> Range<Int> {
        let panels = (units + 31) / 32
        return min(panels * part / parts * 32, units)..<min(panels * (part + 1) / parts * 32, units)
    }
}
