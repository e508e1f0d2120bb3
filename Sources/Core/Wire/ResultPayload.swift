/// A worker's answer for one shard: summed losses, accuracy, BatchNorm batch statistics and
/// summed (not averaged) gradients.
public struct ResultPayload: Equatable, Sendable {
    /// The step of the task (repeats the header's step).
    public let step: UInt64
    /// The parameter version the gradients were computed at (repeats the header's).
    public let parameterVersion: UInt64
    /// The shard answered.
    public let shardIndex: Int
    /// Samples in the shard.
    public let count: Int
    /// Sum over the shard of the total (distillation) loss.
    public let lossTotal: Double
    /// Sum over the shard of the hard-label cross-entropy.
    public let lossHard: Double
    /// Sum over the shard of the soft (teacher) loss.
    public let lossSoft: Double
    /// Samples whose arg-max prediction equals the label.
    public let correct: Int
    /// Per-layer batch statistics (e.g. BatchNorm sums), flattened.
    public let batchStatistics: [Float]
    /// Gradient of the summed loss with respect to every student parameter, flattened.
    public let gradients: [Float]
    /// Wall-clock seconds the worker spent computing the shard.
    public let computeSeconds: Double

    /// A result message's payload.
    public init(step: UInt64, parameterVersion: UInt64, shardIndex: Int, count: Int, lossTotal: Double,
                lossHard: Double, lossSoft: Double, correct: Int, batchStatistics: [Float], gradients: [Float],
                computeSeconds: Double) {
        self.step = step
        self.parameterVersion = parameterVersion
        self.shardIndex = shardIndex
        self.count = count
        self.lossTotal = lossTotal
        self.lossHard = lossHard
        self.lossSoft = lossSoft
        self.correct = correct
        self.batchStatistics = batchStatistics
        self.gradients = gradients
        self.computeSeconds = computeSeconds
    }
}
