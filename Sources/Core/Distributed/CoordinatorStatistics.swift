/// What a ``CoordinatorServer`` counted since it started: membership, reassignments, rejected
/// results and audits. ``securityReport`` is the part that goes into `summary.json`.
public struct CoordinatorStatistics: Sendable, Equatable {
    /// Workers welcomed.
    public var joined = 0
    /// Answered refusals (joins from the wrong run, version or models; messages from strangers).
    public var refused = 0
    /// Workers dropped for silence, a closed connection, a full send queue or an error they reported.
    public var lost = 0
    /// Shard copies taken from a worker and handed to another.
    public var reassignedShards = 0
    /// Shard copies sent ahead of their parameters, while the step before was computed (``UpcomingStep``).
    public var shardsSentAhead = 0
    /// Accepted results whose gradients the coordinator read in the worker's shared memory.
    public var sharedMemoryResults = 0
    /// For each lost worker that held shards: seconds from its last message to the reassignment.
    public var recoverySeconds: [Double] = []
    /// Rejections that are strikes against the sender (see docs/PROTOCOL.md, "Acceptance").
    public var rejectedResults = 0
    /// Honest late results for shards already reassigned: dropped, not strikes.
    public var staleResults = 0
    /// Workers disconnected and refused for the rest of the run (three strikes, or out-voted by an audit).
    public var refusedForRun = 0
    /// Messages dropped without processing: undecodable, from strangers or refused workers, too many frames.
    public var droppedMessages = 0
    /// Audited shards settled by two agreeing workers.
    public var auditedShards = 0
    /// Audited shards on which two workers disagreed.
    public var auditMismatches = 0
    /// Shards selected for audit that were not audited because no second worker was connected.
    public var auditsSkipped = 0

    public init() {}

    /// The counts `summary.json` reports.
    public var securityReport: SecurityReport {
        SecurityReport(rejectedResults: rejectedResults, staleResults: staleResults, workersRefusedForRun: refusedForRun,
                       droppedMessages: droppedMessages, auditedShards: auditedShards, auditMismatches: auditMismatches,
                       auditsSkipped: auditsSkipped)
    }
}
