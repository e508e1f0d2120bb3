import Foundation

/// The coordinator's side of distributed training: a ROUTER socket that welcomes workers,
/// hands out shard copies by credit, accepts a result only when it can be right, audits a
/// fraction of shards by recomputation, and reassigns the shards of workers that go silent,
/// miss their deadline or stop reading. As a ``ShardBackend`` it plugs into the same
/// ``Trainer`` as the local thread pool, so distributed and single-process runs are the same
/// mathematics.
///
/// The state is a ``PeerTable`` (who is connected, who is refused) and, during a step, a
/// ``StepDispatch`` (who holds which shard, what came back); every decision is taken from
/// them, never from what a peer claims. Sends never block: a peer whose queue is full has
/// stopped reading and is dropped.
public final class CoordinatorServer: ShardBackend {
    /// Timing, membership and trust settings.
    public struct Options: Sendable {
        /// Shards are handed out only while at least this many workers are connected.
        public var minWorkers = 1
        /// A worker silent for this long is dropped and its shards reassigned.
        public var peerTimeout = 10.0
        /// Idle workers get a heartbeat this often.
        public var heartbeatInterval = 1.0
        /// How often "waiting for workers" is repeated.
        public var waitingReportInterval = 5.0
        /// A shard copy held longer than `shardDeadlineFactor ×` the median shard round trip
        /// `+ peerTimeout` is reassigned even if its worker still heartbeats.
        public var shardDeadlineFactor = 5.0
        /// Which shards are recomputed on a second worker and how results are compared.
        public var audit = AuditPolicy()
        /// Rejected results (strikes) after which a worker is refused for the rest of the run.
        public var maxStrikes = 3
        /// Local mode's shared-memory folder (``PrivateFolder/sharedMemory()``), or nil. Workers
        /// that offer to share it at join then read the parameters from `FOLDER/parameters` and
        /// leave their gradients in `FOLDER/gradients-ROUTINGID` (docs/PROTOCOL.md, "Shared memory").
        /// Only for a coordinator bound in a ``PrivateFolder``, which no other user can reach.
        public var sharedMemoryFolder: String?
        /// The parameters region of ``sharedMemoryFolder`` when its maker already made it:
        /// ``TrainingSetup/moveStudentToSharedMemory(folder:)``, whose master then lives there,
        /// so each version is named where the optimiser wrote it. Nil: the coordinator makes the
        /// region and copies each version into it.
        public var sharedParameters: SharedMemoryRegion?
        public init() {}
    }

    /// Made by the injected ``Transport``, which sets its security, queues and limits.
    let router: TransportRouter
    /// Refuses the keys of workers refused for the run (CURVE).
    let transport: Transport
    let run: RunDescription
    let options: Options
    let shape: ResultShape
    let stop: StopFlag
    /// The welcome's frames, encoded once (the teacher is sent once per connection).
    let welcomeFrames: [Frame]
    /// The run's parameters region (the current version, at offset 0, where the workers'
    /// students read it) when ``Options/sharedMemoryFolder`` is set and could hold it (else no
    /// worker shares memory).
    let sharedParameters: SharedMemoryRegion?
    var peers = PeerTable()
    /// The step being computed, nil between steps.
    var current: StepDispatch?
    /// The step after it, whose tasks went out ahead of their parameters (``UpcomingStep``):
    /// workers run its teacher while this coordinator finishes the current step.
    var upcoming: StepDispatch?
    /// The parameters of the step being computed.
    var currentParameters: ModelParameters?
    var deadline: ShardDeadline
    var encodedParameters: (version: Int, frames: [Frame])?
    /// The same parameters named in ``sharedParameters``, for workers that share memory.
    var sharedParametersFrames: (version: Int, frames: [Frame])?
    var cost = NetworkCost()
    /// When "waiting for another worker to settle" was last reported.
    var lastTiebreakReport = -Double.infinity
    /// Shards of the largest step so far (the run's shard count once a full batch was seen).
    var shardsPerStep = 0
    /// Whether "more threads than shards" was reported (once per run).
    var idleThreadsReported = false
    /// The endpoint actually bound (with the real port for `tcp://host:0`).
    public let endpoint: String
    /// Counters since start.
    public internal(set) var statistics = CoordinatorStatistics()
    /// What monitors (status.json, /metrics) read of the peer table, from any thread.
    public let board = WorkerBoard()
    /// When ``board`` was last published.
    private var boardPublished = -Double.infinity
    /// Receives one human line per membership or trust event.
    public var report: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    /// Frames a worker's message may have: header, and a result's fields, statistics, gradients and teacher logits.
    static let maxInboundFrames = 5

    /// Binds `endpoint` through `transport` and prepares the welcome for run `run` with the
    /// frozen `teacher`. Results must have `shape`; no inbound frame may exceed what the
    /// largest of them needs.
    public init(transport: Transport, endpoint: String, run: RunDescription, teacher: ModelParameters?, shape: ResultShape,
                options: Options = Options(), stop: StopFlag) throws {
        self.shape = shape
        self.transport = transport
        router = try transport.bindRouter(endpoint, maxFrameBytes: Int64(CoordinatorServer.maxInboundFrameBytes(shape)))
        self.endpoint = router.endpoint
        self.run = run
        self.options = options
        self.stop = stop
        deadline = ShardDeadline(factor: options.shardDeadlineFactor, grace: options.peerTimeout)
        let welcome = WelcomePayload(
            run: run,
            teacherParameters: teacher.map { FloatArray(Array($0.values[0..<$0.layout.parameterCount])) } ?? .empty,
            teacherState: teacher.map { FloatArray(Array($0.state[0..<$0.layout.stateCount])) } ?? .empty)
        welcomeFrames = WireCodec.encode(.welcome(welcome), runID: run.runID, step: 0, parameterVersion: 0)
        do {
            sharedParameters = try options.sharedMemoryFolder.map {
                guard let made = options.sharedParameters else {
                    return try SharedMemoryRegion(creating: SharedMemoryRegion.parametersPath(folder: $0), bytes: 4 * shape.parameterCount)
                }
                guard made.byteCount >= 4 * shape.parameterCount else {
                    throw SharedMemoryError.tooSmall(path: made.path, bytes: made.byteCount, needed: 4 * shape.parameterCount)
                }
                return made
            }
        } catch {
            sharedParameters = nil
            FileHandle.standardError.write(Data("warning: no shared memory for the workers (\(error)); parameters and gradients go through the socket\n".utf8))
        }
    }


    /// The largest frame a worker legitimately sends in this run: a result's gradients,
    /// statistics or teacher logits (a shard holds at most a whole batch), or a fields frame with
    /// the longest strings the protocol allows.
    static func maxInboundFrameBytes(_ shape: ResultShape) -> Int {
        max(4 * shape.parameterCount, 4 * shape.statisticsCount, 4 * ConfigSchema.maxBatch * shape.classes, WireLimits.maxReasonBytes + 64, 3 * WireLimits.maxNameBytes + 64,
            WireHeader.byteCount)
    }

    /// True: the next step's tasks go out ahead of their parameters.
    public var takesUpcomingSteps: Bool { true }
    public var networkCost: NetworkCost? { cost }
    /// The statistics' counts plus what the transport refused or dropped before they reached it.
    public var securityReport: SecurityReport? {
        var report = statistics.securityReport
        report.droppedMessages += router.droppedMessages
        report.refusedHandshakes = transport.refusedHandshakes
        return report
    }

    /// Number of workers currently connected.
    public var workerCount: Int { peers.count }

    // MARK: ShardBackend

    /// Computes the step's shards on the connected workers. The copies already sent ahead (the
    /// previous call's `upcoming`) get their parameters first; once every copy of this step is
    /// out, the tasks of `upcoming` go out too, without parameters and without taking credit:
    /// each worker holds at most its thread count of them (see docs/PROTOCOL.md, *Tasks ahead*).
    public func compute(step: Int, epoch: Int, parameterVersion: Int, parameters: ModelParameters, tasks: [ShardTask],
                        upcoming next: UpcomingStep?) throws -> [ShardResult] {
        current = promoteUpcoming(step: step, version: parameterVersion, tasks: tasks)
            ?? StepDispatch(step: step, epoch: epoch, version: parameterVersion, tasks: tasks, audit: options.audit)
        currentParameters = parameters
        shardsPerStep = max(shardsPerStep, tasks.count)
        defer {
            current = nil
            currentParameters = nil
        }
        sendParametersToHolders()
        var next = next
        var lastWaitingReport = -Double.infinity
        try receiveAvailable(waitMilliseconds: 0)
        while !current!.isComplete {
            if let reason = stop.stopReason { throw RunInterrupted(reason: reason) }
            let now = MonotonicClock.now()
            if peers.count < options.minWorkers {
                if now - lastWaitingReport >= options.waitingReportInterval {
                    report("waiting for workers: \(peers.count) connected, \(options.minWorkers) needed (listening on \(endpoint))")
                    lastWaitingReport = now
                }
            } else {
                reportIdleThreads()
                skipImpossibleAudits()
                dispatchPending()
                if let ahead = next, current!.pending.isEmpty {
                    next = nil
                    announce(ahead)
                }
            }
            try receiveAvailable(waitMilliseconds: 20)
            dropSilentPeers()
            reassignOverdueShards()
            heartbeatIdlePeers()
            publishBoard(now: now, every: 0.5)
        }
        publishBoard(now: MonotonicClock.now(), every: 0)
        return current!.results
    }

    /// Publishes the peer table to ``board`` if `every` seconds passed since the last time.
    private func publishBoard(now: Double, every: Double) {
        guard now - boardPublished >= every else { return }
        boardPublished = now
        board.publish(workers: peers.snapshot(), rejectedResults: statistics.rejectedResults)
    }

    /// Receives joins until ``Options/minWorkers`` workers are connected, and returns the compute
    /// threads each of the first of them declared, in join order: a run whose `train.shards` is
    /// 0 and that serves remote workers cuts each batch into that many shards in total.
    /// - Throws: ``RunInterrupted`` when `stop` is set first; ``ZMQError`` if the socket fails.
    public func awaitWorkers() throws -> [Int] {
        var lastWaitingReport = -Double.infinity
        while peers.count < options.minWorkers {
            if let reason = stop.stopReason { throw RunInterrupted(reason: reason) }
            let now = MonotonicClock.now()
            if now - lastWaitingReport >= options.waitingReportInterval {
                report("waiting for workers: \(peers.count) connected, \(options.minWorkers) needed before the shard count is fixed "
                    + "(listening on \(endpoint))")
                lastWaitingReport = now
            }
            try receiveAvailable(waitMilliseconds: 20)
            dropSilentPeers()
            heartbeatIdlePeers()
        }
        return peers.peers.values.sorted { $0.order < $1.order }.prefix(options.minWorkers).map(\.threads)
    }

    /// Says once per run that the connected workers have more compute threads than a step has
    /// shards, and which setting would use them.
    private func reportIdleThreads() {
        let threads = peers.threads
        guard !idleThreadsReported, threads > shardsPerStep else { return }
        idleThreadsReported = true
        report("\(peers.count) worker\(peers.count == 1 ? "" : "s") with \(threads) compute threads connected, but each step has only "
            + "\(shardsPerStep) shard\(shardsPerStep == 1 ? "" : "s") (train.shards): \(threads - shardsPerStep) of them idle; "
            + "to use them, start the run with --set train.shards=\(threads), or leave train.shards at 0 and set --min-workers to the "
            + "number of workers (the shards then follow their threads)")
    }

    /// Tells every worker to exit and forgets them.
    public func shutdown(reason: String) {
        upcoming = nil
        for id in peers.peers.keys { _ = try? router.send(encode(.shutdown(reason: reason)), to: PeerID(id)) }
        for id in Array(peers.peers.keys) { peers.remove(id) }
    }

    /// Handles every message that arrives within `waitMilliseconds`, then whatever is already
    /// queued (at most a few hundred, so a flood cannot starve the step).
    private func receiveAvailable(waitMilliseconds: Int) throws {
        var wait = waitMilliseconds
        for _ in 0..<256 {
            guard let message = try router.receive(timeoutMilliseconds: wait) else { return }
            handle(message)
            wait = 0
        }
    }

    /// `message` as frames with this run's id (step and version as given).
    func encode(_ message: WireMessage, step: Int = 0, version: Int = 0) -> [Frame] {
        WireCodec.encode(message, runID: run.runID, step: UInt64(step), parameterVersion: UInt64(version))
    }
}
