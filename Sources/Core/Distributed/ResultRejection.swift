/// Why the coordinator did not accept a result. Every rejection is counted and logged; the
/// strikes (``isStrike``) count against the worker, and three strikes in a run get it
/// disconnected and refused for the rest of the run.
enum ResultRejection: Equatable, CustomStringConvertible {
    /// An honest late answer: the shard was taken from this worker (deadline, or settled by
    /// other workers) while it was computing it. Not a strike: slowness is not a lie.
    case stale(ShardKey)
    /// A result for a shard of the current step that is not assigned to the sender.
    case notAssigned(ShardKey)
    /// A result for another step or parameter version that the sender does not hold.
    case wrongStep(step: UInt64, version: UInt64, shard: Int)
    /// A second result from the same worker for the same shard.
    case replay(ShardKey)
    /// The content cannot be right (counts, non-finite or out-of-range values).
    case invalid(ShardKey, String)

    /// Whether the rejection counts against the worker.
    var isStrike: Bool { if case .stale = self { return false } else { return true } }

    var description: String {
        switch self {
        case let .stale(key): return "late result for shard \(key.shard) of step \(key.step), already reassigned"
        case let .notAssigned(key): return "result for shard \(key.shard) of step \(key.step), which is not assigned to it"
        case let .wrongStep(step, version, shard):
            return "result for shard \(shard) of step \(step) at parameter version \(version), which it was not computing"
        case let .replay(key): return "second result for shard \(key.shard) of step \(key.step)"
        case let .invalid(key, why): return "invalid result for shard \(key.shard) of step \(key.step): \(why)"
        }
    }
}

/// What a result of this run must look like: gradient and statistics counts, and which
/// statistics are variances.
public struct ResultShape: Sendable, Equatable {
    /// Student parameters, i.e. gradients per result.
    public let parameterCount: Int
    /// Channels of each student BatchNorm in layout order; each contributes its means, then its variances.
    public let batchNormChannels: [Int]

    /// Logits per sample (the model's classes): a result carrying teacher logits has `count × classes` of them.
    public let classes: Int

    /// The shape of results for `network` (the student).
    public init(network: Network) {
        self.init(parameterCount: network.layout.parameterCount, batchNormChannels: network.batchNorms.map(\.channels),
                  classes: network.classes)
    }

    public init(parameterCount: Int, batchNormChannels: [Int], classes: Int) {
        self.parameterCount = parameterCount
        self.batchNormChannels = batchNormChannels
        self.classes = classes
    }

    /// Batch statistics per result.
    public var statisticsCount: Int { batchNormChannels.reduce(0) { $0 + 2 * $1 } }

    /// Largest magnitude a gradient or statistic may have: its square is still a finite Float,
    /// so nothing accepted can overflow the optimiser's second moment (Adam's `g²`).
    static let maxMagnitude = Float.greatestFiniteMagnitude.squareRoot()

    /// Why `result` cannot be the answer to `task`, or nil when it can: counts must match the
    /// task and the model, `correct ≤ count`, every gradient, statistic and loss sum finite, the
    /// loss sums (cross-entropies) ≥ 0, every variance ≥ 0 and no magnitude above ``maxMagnitude``;
    /// teacher logits exactly when the task asked for them, `count × classes` of them, each finite
    /// and within ``maxMagnitude`` (they go into the teacher cache and into later steps' losses).
    func problem(in result: ShardResult, for task: ShardTask) -> String? {
        var checked = result
        return check(&checked, for: task)
    }

    /// ``problem(in:for:)``, leaving `result`'s gradients marked as checked against
    /// ``maxMagnitude`` (``FloatValues/checkedMagnitude``) when it finds no problem: the trainer
    /// then knows their mean is finite without another pass over them.
    func check(_ result: inout ShardResult, for task: ShardTask) -> String? {
        let loss = result.loss
        if loss.count != task.count { return "\(loss.count) samples, the task has \(task.count)" }
        if loss.correct > loss.count { return "\(loss.correct) correct of \(loss.count) samples" }
        if result.gradients.count != parameterCount { return "\(result.gradients.count) gradients, the student has \(parameterCount)" }
        if result.batchStatistics.count != statisticsCount {
            return "\(result.batchStatistics.count) batch statistics, the student has \(statisticsCount)"
        }
        for (name, value) in [("total", loss.total), ("hard", loss.hard), ("soft", loss.soft)] where !(value.isFinite && value >= 0) {
            return "\(name) loss sum \(value) (must be finite and ≥ 0)"
        }
        if !(result.computeSeconds.isFinite && result.computeSeconds >= 0) { return "compute time \(result.computeSeconds) s" }
        if let i = result.gradients.verifyMagnitudes(within: Self.maxMagnitude) { return "gradient \(i) is \(result.gradients[i])" }
        if let i = result.batchStatistics.withUnsafeBufferPointer(ResultShape.firstOutOfRange) { return "batch statistic \(i) is \(result.batchStatistics[i])" }
        let logits = task.returnsTeacherLogits && task.teacherLogits.isEmpty ? task.count * classes : 0
        if result.teacherLogits.count != logits {
            return "\(result.teacherLogits.count) teacher logits, the task asked for \(logits)"
        }
        if let i = result.teacherLogits.withUnsafeBufferPointer(ResultShape.firstOutOfRange) { return "teacher logit \(i) is \(result.teacherLogits[i])" }
        var offset = 0
        for channels in batchNormChannels {
            for i in offset + channels..<offset + 2 * channels where result.batchStatistics[i] < 0 {
                return "batch statistic \(i) is a variance of \(result.batchStatistics[i])"
            }
            offset += 2 * channels
        }
        return nil
    }

    /// Index of the first value that is not finite or exceeds ``maxMagnitude``.
    private static func firstOutOfRange(_ values: UnsafeBufferPointer<Float>) -> Int? {
        MagnitudeScan.firstIndex(beyond: maxMagnitude, in: values)
    }
}
