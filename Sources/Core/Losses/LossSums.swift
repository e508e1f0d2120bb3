/// Loss sums over a batch (or a shard of one); a mean is `sum / Double(count)`.
///
/// Sums rather than means so that shards of different sizes combine exactly with `+`.
public struct LossSums: Sendable, Equatable {
    /// Σ total_i where total_i = (1 − α)·hard_i + α·soft_i.
    public var total: Double
    /// Σ hard_i, the cross-entropy against the labels.
    public var hard: Double
    /// Σ soft_i, the T²-scaled cross-entropy against the teacher (0 when α = 0).
    public var soft: Double
    /// Number of samples whose student argmax equals the label.
    public var correct: Int
    /// Number of samples summed.
    public var count: Int

    public init(total: Double, hard: Double, soft: Double, correct: Int, count: Int) {
        self.total = total
        self.hard = hard
        self.soft = soft
        self.correct = correct
        self.count = count
    }

    /// No samples.
    public static let zero = LossSums(total: 0, hard: 0, soft: 0, correct: 0, count: 0)

    /// Sums of the union of two disjoint sets of samples.
    public static func + (a: LossSums, b: LossSums) -> LossSums {
        LossSums(total: a.total + b.total, hard: a.hard + b.hard, soft: a.soft + b.soft,
                 correct: a.correct + b.correct, count: a.count + b.count)
    }

    /// Adds the sums of another disjoint set of samples.
    public static func += (a: inout LossSums, b: LossSums) { a = a + b }
}
