/// Work for one worker in one step: the shards it should compute gradients for.
public struct TaskPayload: Equatable, Sendable {
    /// The optimisation step the shards belong to (repeats the header's step).
    public let step: UInt64
    /// The parameter version the gradients must be computed at (repeats the header's).
    public let parameterVersion: UInt64
    /// The epoch the samples come from.
    public let epoch: Int
    /// The shards, in any order.
    public let shards: [ShardTask]

    /// A task message's payload.
    public init(step: UInt64, parameterVersion: UInt64, epoch: Int, shards: [ShardTask]) {
        self.step = step
        self.parameterVersion = parameterVersion
        self.epoch = epoch
        self.shards = shards
    }
}
