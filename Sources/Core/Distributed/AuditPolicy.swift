#if canImport(Glibc)
import Glibc
#endif

/// Audit by recomputation: a keyed-random fraction of shards is computed by a second,
/// different worker and the two results are compared. A shard's result does not depend on who
/// computed it, so honest workers agree: bit for bit on the same compute fingerprint, within a
/// relative tolerance otherwise.
public struct AuditPolicy: Sendable, Equatable {
    /// Probability that a shard is audited, in [0, 1].
    public var fraction: Double
    /// Largest relative L2 difference allowed between workers with different fingerprints.
    public var tolerance: Double
    /// Secret key of the selection. It is never sent, so no worker can tell which shards are audited
    /// (the run seed would not do: every worker receives it).
    public var key: UInt64

    /// A policy auditing `fraction` of shards, selected with the secret `key`.
    public init(fraction: Double = 0, tolerance: Double = 1e-4, key: UInt64 = .random(in: 0...UInt64.max)) {
        self.fraction = fraction
        self.tolerance = tolerance
        self.key = key
    }

    /// Whether shard `shard` of step `step` is audited: keyed by (key, audit, step, shard).
    func selects(step: Int, shard: Int) -> Bool {
        fraction > 0 && KeyedRandom(seed: key, RandomStream.audit, UInt64(step), UInt64(shard)).uniformDouble(0) < fraction
    }

    /// Whether two results for the same shard agree: bit for bit when both workers reported the
    /// same non-empty fingerprint, else within ``tolerance`` in relative L2 over gradients,
    /// statistics and loss sums (`‖a − b‖ ≤ tolerance · max(‖a‖, ‖b‖)`). Sample counts must match exactly.
    func agree(_ a: ShardResult, fingerprint fa: String, _ b: ShardResult, fingerprint fb: String) -> Bool {
        guard a.loss.count == b.loss.count, a.gradients.count == b.gradients.count,
              a.batchStatistics.count == b.batchStatistics.count, a.teacherLogits.count == b.teacherLogits.count else { return false }
        if !fa.isEmpty, fa == fb {
            return a.loss.total.bitPattern == b.loss.total.bitPattern && a.loss.hard.bitPattern == b.loss.hard.bitPattern
                && a.loss.soft.bitPattern == b.loss.soft.bitPattern && a.loss.correct == b.loss.correct
                && AuditPolicy.identical(a.gradients, b.gradients)
                && AuditPolicy.identical(FloatValues(a.batchStatistics), FloatValues(b.batchStatistics))
                && AuditPolicy.identical(FloatValues(a.teacherLogits), FloatValues(b.teacherLogits))
        }
        var (difference, normA, normB) = (0.0, 0.0, 0.0)
        func add(_ x: Double, _ y: Double) {
            difference += (x - y) * (x - y)
            normA += x * x
            normB += y * y
        }
        for (x, y) in [(a.loss.total, b.loss.total), (a.loss.hard, b.loss.hard), (a.loss.soft, b.loss.soft),
                       (Double(a.loss.correct), Double(b.loss.correct))] { add(x, y) }
        for (xs, ys) in [(a.gradients, b.gradients), (FloatValues(a.batchStatistics), FloatValues(b.batchStatistics)),
                         (FloatValues(a.teacherLogits), FloatValues(b.teacherLogits))] {
            xs.withUnsafeBufferPointer { x in
                ys.withUnsafeBufferPointer { y in
                    for i in 0..<x.count { add(Double(x[i]), Double(y[i])) }
                }
            }
        }
        return difference <= tolerance * tolerance * max(normA, normB)
    }

    private static func identical(_ a: FloatValues, _ b: FloatValues) -> Bool {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                x.count == y.count && (x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count * MemoryLayout<Float>.stride) == 0)
            }
        }
    }
}
