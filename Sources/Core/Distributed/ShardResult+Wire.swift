extension ShardResult {
    /// The wire form of this result for step `step` at parameter version `version`.
    public func payload(step: Int, version: Int) -> ResultPayload {
        ResultPayload(step: UInt64(step), parameterVersion: UInt64(version), shardIndex: shardIndex, count: count,
                      lossTotal: loss.total, lossHard: loss.hard, lossSoft: loss.soft, correct: loss.correct,
                      batchStatistics: batchStatistics, gradients: gradients, computeSeconds: computeSeconds)
    }

    /// A result received from the wire.
    public init(_ p: ResultPayload) {
        self.init(shardIndex: p.shardIndex,
                  loss: LossSums(total: p.lossTotal, hard: p.lossHard, soft: p.lossSoft, correct: p.correct, count: p.count),
                  batchStatistics: p.batchStatistics, gradients: p.gradients, computeSeconds: p.computeSeconds)
    }
}
