/// Something that computes the shards of a step: threads in this process
/// (``LocalShardPool``) or remote workers (the distributed coordinator).
public protocol ShardBackend: AnyObject {
    /// Computes `tasks` for global step `step` with the student at `parameters`
    /// (version `parameterVersion`) and returns one result per task, in any order.
    ///
    /// `upcoming`, when given, is the step the caller will ask for next: a backend may take its
    /// tasks while this step's shards are computed and hand them out ahead of their parameters
    /// (the distributed coordinator does, so workers run the teacher while it reduces). The
    /// caller's next call must then be for exactly that step, with the tasks it took.
    func compute(step: Int, epoch: Int, parameterVersion: Int, parameters: ModelParameters, tasks: [ShardTask],
                 upcoming: UpcomingStep?) throws -> [ShardResult]
    /// Whether the backend uses an ``UpcomingStep`` (callers offer none otherwise, which saves
    /// making one per step).
    var takesUpcomingSteps: Bool { get }
    /// Network traffic and serialisation work so far, or nil for an in-process backend.
    var networkCost: NetworkCost? { get }
    /// Results rejected and shards audited so far, or nil for an in-process backend.
    var securityReport: SecurityReport? { get }
}

extension ShardBackend {
    public var takesUpcomingSteps: Bool { false }
    public var networkCost: NetworkCost? { nil }
    public var securityReport: SecurityReport? { nil }

    /// Computes `tasks` for global step `step`, with no upcoming step offered.
    public func compute(step: Int, epoch: Int, parameterVersion: Int, parameters: ModelParameters, tasks: [ShardTask]) throws -> [ShardResult] {
        try compute(step: step, epoch: epoch, parameterVersion: parameterVersion, parameters: parameters, tasks: tasks, upcoming: nil)
    }
}

/// The step a ``ShardBackend`` will be asked to compute next, offered while it computes the
/// current one.
public struct UpcomingStep {
    /// Its global step.
    public let step: Int
    /// Its epoch.
    public let epoch: Int
    /// The parameter version its shards will be computed at (the parameters do not exist yet).
    public let parameterVersion: Int
    /// Its tasks; a backend calls this at most once (it may wait for the batch to be prepared).
    public let tasks: () -> [ShardTask]

    public init(step: Int, epoch: Int, parameterVersion: Int, tasks: @escaping () -> [ShardTask]) {
        self.step = step
        self.epoch = epoch
        self.parameterVersion = parameterVersion
        self.tasks = tasks
    }
}

/// What a distributed backend refused to trust during a run (`summary.json` key `security`).
public struct SecurityReport: Codable, Sendable, Equatable {
    /// Results rejected as strikes: invalid content, shards not assigned to the sender, replays.
    public var rejectedResults: Int
    /// Honest late results for shards already reassigned (not strikes).
    public var staleResults: Int
    /// Workers disconnected and refused for the rest of the run.
    public var workersRefusedForRun: Int
    /// Messages dropped unprocessed (garbage, strangers, refused workers).
    public var droppedMessages: Int
    /// Shards recomputed by a second worker and found equal.
    public var auditedShards: Int
    /// Audited shards on which two workers disagreed.
    public var auditMismatches: Int
    /// Shards selected for audit but not audited: no second worker was connected.
    public var auditsSkipped: Int
    /// CURVE handshakes the ZAP handler refused (unknown or banned keys).
    public var refusedHandshakes: Int

    public init(rejectedResults: Int = 0, staleResults: Int = 0, workersRefusedForRun: Int = 0, droppedMessages: Int = 0,
                auditedShards: Int = 0, auditMismatches: Int = 0, auditsSkipped: Int = 0, refusedHandshakes: Int = 0) {
        self.rejectedResults = rejectedResults
        self.staleResults = staleResults
        self.workersRefusedForRun = workersRefusedForRun
        self.droppedMessages = droppedMessages
        self.auditedShards = auditedShards
        self.auditMismatches = auditMismatches
        self.auditsSkipped = auditsSkipped
        self.refusedHandshakes = refusedHandshakes
    }

    enum CodingKeys: String, CodingKey {
        case rejectedResults = "rejected_results"
        case staleResults = "stale_results"
        case workersRefusedForRun = "workers_refused_for_run"
        case droppedMessages = "dropped_messages"
        case auditedShards = "audited_shards"
        case auditMismatches = "audit_mismatches"
        case auditsSkipped = "audits_skipped"
        case refusedHandshakes = "refused_handshakes"
    }
}

/// Cumulative network cost of a distributed backend.
public struct NetworkCost: Sendable, Equatable {
    public var bytesSent = 0
    public var bytesReceived = 0
    /// Seconds the coordinator spent encoding, decoding and handing frames to the socket.
    public var serializationSeconds = 0.0
    public init() {}
}

/// Computes shards on `threads` threads of this process, one ``ShardExecutor`` each, with one
/// BLAS thread per executor. Shard `i` of a step goes to executor `i mod threads`; since a
/// shard's result does not depend on its executor, the thread count never changes results.
public final class LocalShardPool: ShardBackend {
    /// The executors, one per thread.
    public let executors: [ShardExecutor]
    /// Threads for executors 1…: started once, so a step does not pay for a thread hand-off's
    /// allocations (the calling thread runs executor 0).
    private let crew: ThreadCrew?
    /// Element-wise passes (the reduce and the optimiser step) on the same threads as the shards:
    /// a helper that just finished its shard is still awake for the pass that follows.
    public let elementwise: ElementwiseParallelism

    /// A pool of `executors` (at least one: callers build one per thread, and thread counts are ≥ 1).
    public init(executors: [ShardExecutor]) {
        precondition(!executors.isEmpty, "a pool needs at least one executor")
        self.executors = executors
        crew = executors.count > 1 ? ThreadCrew(helpers: executors.count - 1, name: "distill-shard") : nil
        elementwise = ElementwiseParallelism(sharing: crew, threads: executors.count)
        BLAS.setThreads(1)
    }

    /// Sums the shards' kernel gradients when a step can (``KernelGradientFold/applies(to:executors:)``).
    private let fold = KernelGradientFold()

    /// Where the executors store the current call's results (kept, so a step allocates none).
    private var slots = ResultSlots<ShardResult>(count: 0)
    /// The last call's results, refilled in place once the caller has let go of them.
    private var results: [ShardResult] = []

    /// Computes `tasks` on the pool's threads (an in-process pool has no hand-over to hide, so
    /// it leaves `upcoming` alone).
    public func compute(step: Int, epoch: Int, parameterVersion: Int, parameters: ModelParameters, tasks: [ShardTask],
                        upcoming: UpcomingStep?) throws -> [ShardResult] {
        for task in tasks { try executors[0].validate(task, step: step) }
        if slots.count < tasks.count { slots = ResultSlots(count: tasks.count) }
        // The previous step's results go first, so the executors refill their arrays in place.
        results.removeAll(keepingCapacity: true)
        let threads = min(executors.count, tasks.count)
        let folding = KernelGradientFold.applies(to: tasks, executors: executors)
        for executor in executors.prefix(threads) { executor.defersKernelGradients = folding }
        computing = (tasks, step, threads)
        if threads > 1, let crew { crew.run(parts: threads, job: self) } else if threads == 1 { run(part: 0) }
        computing = nil
        slots.take(count: tasks.count, into: &results)
        if folding {
            fold.fold(&results, executors: executors, crew: crew, threads: threads)
            for executor in executors.prefix(threads) { executor.defersKernelGradients = false }
        }
        return results
    }

    /// The tasks, step and thread count of the current ``compute(step:epoch:parameterVersion:parameters:tasks:upcoming:)``.
    private var computing: (tasks: [ShardTask], step: Int, threads: Int)?

    /// Runs `body(executor, item)` for items `0..<count` spread over the executors' threads
    /// (item `i` on executor `i mod threads`).
    public func parallel(items count: Int, _ body: (ShardExecutor, Int) -> Void) {
        let threads = min(executors.count, count)
        func part(_ t: Int) {
            for i in Self.items(ofThread: t, count: count, threads: threads) { body(executors[t], i) }
        }
        if threads > 1, let crew { crew.run(parts: threads, part) } else if threads == 1 { part(0) }
    }

    /// The items thread `t` of `threads` takes: `t`, `t + threads`, … below `count`.
    private static func items(ofThread t: Int, count: Int, threads: Int) -> StrideTo<Int> {
        stride(from: t, to: count, by: threads)
    }
}

extension LocalShardPool: CrewJob {
    /// Thread `part`'s shards of the current ``compute(step:epoch:parameterVersion:parameters:tasks:upcoming:)``.
    func run(part: Int) {
        let (tasks, step, threads) = computing!
        for i in Self.items(ofThread: part, count: tasks.count, threads: threads) {
            slots.store(executors[part].compute(validated: tasks[i], step: step), at: i)
        }
    }
}

/// Result slots filled concurrently, each by exactly one thread, then emptied in index order.
final class ResultSlots<Element>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Element?>
    /// The number of slots.
    let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: nil)
    }

    deinit {
        _ = slots.deinitialize()
        slots.deallocate()
    }

    /// Stores slot `index`; distinct threads must use distinct indices.
    func store(_ element: Element, at index: Int) { slots[index] = element }

    /// Appends the first `count` slots, all filled, to `values` in index order and empties them.
    func take(count: Int, into values: inout [Element]) {
        for i in 0..<count {
            values.append(slots[i]!)
            slots[i] = nil
        }
    }
}
