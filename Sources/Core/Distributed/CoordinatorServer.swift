import Foundation

/// The coordinator's side of distributed training: a ROUTER socket that welcomes workers,
/// hands out shard tasks by credit, collects results and reassigns the shards of workers
/// that go silent. As a ``ShardBackend`` it plugs into the same ``Trainer`` as the local
/// thread pool, so distributed and single-process runs are the same mathematics.
public final class CoordinatorServer: ShardBackend {
    /// Timing and membership settings.
    public struct Options: Sendable {
        /// Shards are handed out only while at least this many workers are connected.
        public var minWorkers = 1
        /// A worker silent for this long is dropped and its shards reassigned.
        public var peerTimeout = 10.0
        /// Idle workers get a heartbeat this often.
        public var heartbeatInterval = 1.0
        /// How often "waiting for workers" is repeated.
        public var waitingReportInterval = 5.0
        public init() {}
    }

    /// Counters for reports and tests.
    public struct Statistics: Sendable, Equatable {
        public var joined = 0
        public var refused = 0
        public var lost = 0
        public var reassignedShards = 0
        public var droppedResults = 0
        /// For each lost worker that held shards: seconds from its last message to the reassignment.
        public var recoverySeconds: [Double] = []
    }

    private struct Peer {
        let id: [UInt8]
        let name: String
        let order: Int
        var credit = 0
        var version: Int?
        var lastHeard: Double
        var lastSent: Double
    }

    private let router: TransportRouter
    private let run: RunDescription
    private let welcome: WelcomePayload
    private let options: Options
    private let parameterCount: Int
    private let statisticsCount: Int
    private let stop: StopFlag
    private var peers: [[UInt8]: Peer] = [:]
    private var joinCount = 0
    /// The endpoint actually bound (with the real port for `tcp://host:0`).
    public let endpoint: String
    /// Counters since start.
    public private(set) var statistics = Statistics()
    private var cost = NetworkCost()
    private var encodedParameters: (version: Int, frames: [[UInt8]])?
    /// Receives one human line per membership event.
    public var report: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    /// Binds `endpoint` through `transport` and prepares the welcome for run `run` with the
    /// frozen `teacher`. Results must hold `parameterCount` gradients and `statisticsCount`
    /// BatchNorm statistics; no peer may send a larger frame than the gradients.
    public init(transport: Transport, endpoint: String, run: RunDescription, teacher: ModelParameters?, parameterCount: Int,
                statisticsCount: Int, options: Options = Options(), stop: StopFlag) throws {
        self.parameterCount = parameterCount
        self.statisticsCount = statisticsCount
        let largestFrame = max(4 * max(parameterCount, statisticsCount), WireLimits.maxReasonBytes + 4096)
        router = try transport.bindRouter(endpoint, maxFrameBytes: Int64(largestFrame))
        self.endpoint = router.endpoint
        self.run = run
        self.options = options
        self.stop = stop
        welcome = WelcomePayload(
            runID: run.runID, configYAML: run.encoded(), studentSpecJSON: run.studentSpec.canonicalJSON(),
            teacherSpecJSON: run.teacherSpec?.canonicalJSON() ?? "",
            teacherParameters: teacher.map { FloatArray(Array($0.values[0..<$0.layout.parameterCount])) } ?? .empty,
            teacherState: teacher.map { FloatArray(Array($0.state[0..<$0.layout.stateCount])) } ?? .empty)
    }

    public var networkCost: NetworkCost? { cost }

    /// Number of workers currently connected.
    public var workerCount: Int { peers.count }

    // MARK: ShardBackend

    public func compute(step: Int, epoch: Int, parameterVersion: Int, parameters: ModelParameters, tasks: [ShardTask]) throws -> [ShardResult] {
        var pending = tasks.sorted { $0.shardIndex < $1.shardIndex }
        let byIndex = Dictionary(uniqueKeysWithValues: tasks.map { ($0.shardIndex, $0) })
        var assigned: [Int: [UInt8]] = [:]
        var results: [Int: ShardResult] = [:]
        var lastWaitingReport = -Double.infinity
        try drain(step: step, version: parameterVersion, assigned: &assigned, results: &results, expected: byIndex)
        while results.count < tasks.count {
            if let reason = stop.stopReason { throw RunInterrupted(reason: reason) }
            let now = MonotonicClock.now()
            if peers.count < options.minWorkers {
                if now - lastWaitingReport >= options.waitingReportInterval {
                    report("waiting for workers: \(peers.count) connected, \(options.minWorkers) needed (listening on \(endpoint))")
                    lastWaitingReport = now
                }
            } else {
                try dispatch(&pending, step: step, epoch: epoch, version: parameterVersion, parameters: parameters, assigned: &assigned)
            }
            if let message = try router.receive(timeoutMilliseconds: 20) {
                try handle([message.peer.bytes] + message.frames, step: step, version: parameterVersion, assigned: &assigned, results: &results, expected: byIndex)
            }
            let orphans = dropSilentPeers(assigned: &assigned).filter { results[$0] == nil }
            for index in orphans {
                pending.append(byIndex[index]!)
                statistics.reassignedShards += 1
            }
            pending.sort { $0.shardIndex < $1.shardIndex }
            try heartbeatIdlePeers()
        }
        return tasks.map { results[$0.shardIndex]! }
    }

    /// Tells every worker to exit and forgets them.
    public func shutdown(reason: String) {
        for id in peers.keys { _ = try? send(.shutdown(reason: reason), to: id) }
        peers.removeAll()
    }

    // MARK: Message handling

    private func drain(step: Int, version: Int, assigned: inout [Int: [UInt8]], results: inout [Int: ShardResult], expected: [Int: ShardTask]) throws {
        while let message = try router.receive(timeoutMilliseconds: 0) {
            try handle([message.peer.bytes] + message.frames, step: step, version: version, assigned: &assigned, results: &results, expected: expected)
        }
    }

    private func handle(_ frames: [[UInt8]], step: Int, version: Int, assigned: inout [Int: [UInt8]],
                        results: inout [Int: ShardResult], expected: [Int: ShardTask]) throws {
        guard let id = frames.first, frames.count > 1 else { return }
        cost.bytesReceived += frames.reduce(0) { $0 + $1.count }
        let header: WireHeader
        let message: WireMessage
        let started = MonotonicClock.now()
        defer { cost.serializationSeconds += MonotonicClock.now() - started }
        do {
            (header, message) = try WireCodec.decode(Array(frames.dropFirst()))
        } catch let error as WireError {
            let code: WireErrorCode
            if case .unsupportedVersion = error { code = .unsupportedVersion } else { code = .malformed }
            refuse(id, code: code, "undecodable message: \(error)")
            return
        }
        if case let .join(join) = message {
            admit(id, join: join, header: header)
            return
        }
        guard var peer = peers[id] else {
            if case .result = message { statistics.droppedResults += 1 }
            refuse(id, code: .unexpected, "\(message.kind) from a worker that has not joined this run; send join first")
            return
        }
        guard header.runID == run.runID else {
            refuse(id, code: .wrongRun, "message for run \(header.runID), this coordinator runs \(run.runID)")
            return
        }
        peer.lastHeard = MonotonicClock.now()
        peers[id] = peer
        switch message {
        case let .ready(credit):
            peers[id]?.credit += max(credit, 0)
        case let .result(payload):
            accept(payload, from: id, step: step, version: version, assigned: &assigned, results: &results, expected: expected)
        case .heartbeat:
            break
        case let .error(code, text):
            report("worker \(peer.name) reported error \(code): \(text); dropping it")
            forget(id)
        default:
            refuse(id, code: .unexpected, "unexpected \(message.kind) from a worker")
        }
    }

    private func admit(_ id: [UInt8], join: JoinPayload, header: WireHeader) {
        if join.protocolVersion != WireLimits.protocolVersion {
            refuse(id, code: .unsupportedVersion, "protocol version \(join.protocolVersion), this coordinator speaks \(WireLimits.protocolVersion)")
        } else if header.runID != 0, header.runID != run.runID {
            refuse(id, code: .wrongRun, "worker belongs to run \(header.runID), this coordinator runs \(run.runID)")
        } else if !join.specHash.isEmpty, join.specHash != run.specHash {
            refuse(id, code: .specMismatch, "worker expects model specs with hash \(join.specHash.prefix(12))…, this run's is \(run.specHash.prefix(12))…")
        } else {
            let now = MonotonicClock.now()
            joinCount += 1
            peers[id] = Peer(id: id, name: join.workerName, order: joinCount, lastHeard: now, lastSent: now)
            statistics.joined += 1
            do {
                try send(.welcome(welcome), to: id)
                report("worker \(join.workerName) joined (\(peers.count) connected)")
            } catch {
                forget(id)
            }
        }
    }

    private func accept(_ payload: ResultPayload, from id: [UInt8], step: Int, version: Int,
                        assigned: inout [Int: [UInt8]], results: inout [Int: ShardResult], expected: [Int: ShardTask]) {
        guard payload.step == UInt64(step), payload.parameterVersion == UInt64(version),
              let task = expected[payload.shardIndex], results[payload.shardIndex] == nil else {
            statistics.droppedResults += 1
            return
        }
        guard payload.count == task.count, payload.gradients.count == parameterCount,
              payload.batchStatistics.count == statisticsCount else {
            statistics.droppedResults += 1
            refuse(id, code: .malformed, "result for shard \(payload.shardIndex) has \(payload.count) samples, "
                + "\(payload.gradients.count) gradients and \(payload.batchStatistics.count) statistics; expected "
                + "\(task.count), \(parameterCount) and \(statisticsCount)")
            return
        }
        results[payload.shardIndex] = ShardResult(payload)
        assigned[payload.shardIndex] = nil
    }

    /// Hands pending shards to workers with credit, always to the one with the fewest shards
    /// outstanding (ties: earliest joined), so credit beyond one only prefetches.
    private func dispatch(_ pending: inout [ShardTask], step: Int, epoch: Int, version: Int, parameters: ModelParameters,
                          assigned: inout [Int: [UInt8]]) throws {
        while !pending.isEmpty {
            var outstanding: [[UInt8]: Int] = [:]
            for owner in assigned.values { outstanding[owner, default: 0] += 1 }
            guard let peer = peers.values.filter({ $0.credit > 0 })
                .min(by: { (outstanding[$0.id] ?? 0, $0.order) < (outstanding[$1.id] ?? 0, $1.order) }) else { return }
            let id = peer.id
            let task = pending.removeFirst()
            do {
                if peer.version != version {
                    try sendParameters(parameters, version: version, step: step, to: id)
                    peers[id]?.version = version
                }
                try send(.task(TaskPayload(step: UInt64(step), parameterVersion: UInt64(version), epoch: epoch, shards: [task])),
                         to: id, step: step, version: version)
                peers[id]?.credit -= 1
                assigned[task.shardIndex] = id
            } catch let error as ZMQError {
                // Its other outstanding shards are reassigned as orphans by the caller.
                pending.insert(task, at: 0)
                dropUnreachable(peer, error)
            }
        }
    }

    private func dropSilentPeers(assigned: inout [Int: [UInt8]]) -> [Int] {
        let now = MonotonicClock.now()
        var orphaned: [Int] = []
        for peer in peers.values where now - peer.lastHeard > options.peerTimeout {
            let held = assigned.values.filter { $0 == peer.id }.count
            report("worker \(peer.name) silent for \(String(format: "%.1f", now - peer.lastHeard)) s; reassigning its \(held) shards")
            statistics.lost += 1
            if held > 0 { statistics.recoverySeconds.append(now - peer.lastHeard) }
            forget(peer.id)
        }
        for (index, owner) in assigned where peers[owner] == nil {
            orphaned.append(index)
            assigned[index] = nil
        }
        return orphaned.sorted()
    }

    private func heartbeatIdlePeers() throws {
        let now = MonotonicClock.now()
        for peer in peers.values where now - peer.lastSent >= options.heartbeatInterval {
            do { try send(.heartbeat, to: peer.id) } catch let error as ZMQError { dropUnreachable(peer, error) }
        }
    }

    /// Forgets a worker whose connection is gone (a send failed); the caller's orphan sweep
    /// requeues any shards it held.
    private func dropUnreachable(_ peer: Peer, _ error: ZMQError) {
        report("worker \(peer.name) unreachable (\(error)); dropping it")
        statistics.lost += 1
        forget(peer.id)
    }

    private func refuse(_ id: [UInt8], code: WireErrorCode, _ text: String) {
        statistics.refused += 1
        report("refused a worker: \(text)")
        _ = try? send(.error(code: code.rawValue, message: text), to: id)
        forget(id)
    }

    private func forget(_ id: [UInt8]) { peers[id] = nil }

    private func send(_ message: WireMessage, to id: [UInt8], step: Int = 0, version: Int = 0) throws {
        let started = MonotonicClock.now()
        defer { cost.serializationSeconds += MonotonicClock.now() - started }
        try send(frames: WireCodec.encode(message, runID: run.runID, step: UInt64(step), parameterVersion: UInt64(version)), to: id)
    }

    /// Sends the parameters of `version`, encoding them once per version however many workers need them.
    private func sendParameters(_ parameters: ModelParameters, version: Int, step: Int, to id: [UInt8]) throws {
        let started = MonotonicClock.now()
        defer { cost.serializationSeconds += MonotonicClock.now() - started }
        if encodedParameters?.version != version {
            let payload = ParametersPayload(
                version: UInt64(version), parameters: Array(parameters.values[0..<parameters.layout.parameterCount]),
                state: Array(parameters.state[0..<parameters.layout.stateCount]))
            encodedParameters = (version, WireCodec.encode(.parameters(payload), runID: run.runID, step: UInt64(step), parameterVersion: UInt64(version)))
        }
        try send(frames: encodedParameters!.frames, to: id)
    }

    private func send(frames: [[UInt8]], to id: [UInt8]) throws {
        switch try router.send(frames, to: PeerID(id)) {
        case .queued: break
        case .wouldBlock:
            // A peer that stops reading is cut off rather than allowed to stall the run.
            router.disconnect(PeerID(id))
            throw ZMQError(call: "zmq_send", errno: EAGAIN, message: "the worker's queue is full (it stopped reading)")
        case .unreachable:
            throw ZMQError(call: "zmq_send", errno: EHOSTUNREACH, message: "no connection with that routing id")
        }
        cost.bytesSent += frames.reduce(id.count) { $0 + $1.count }
        peers[id]?.lastSent = MonotonicClock.now()
    }
}
