import Foundation

/// Why a worker stopped.
public enum WorkerExit: Error, Equatable, CustomStringConvertible {
    /// The coordinator sent shutdown.
    case shutdown(reason: String)
    /// The coordinator refused this worker or reported an error.
    case refused(code: UInt16, message: String)
    /// Nothing was heard from the coordinator for too long.
    case coordinatorLost(endpoint: String, seconds: Double)
    /// The coordinator sent something this worker cannot use.
    case badMessage(String)
    /// A signal stopped the worker.
    case interrupted(String)
    /// The connection's security handshake failed (key refused, security mismatch).
    case notAdmitted(endpoint: String, reason: ZMQHandshakeFailure)
    /// Nothing answered a connection attempt (no coordinator there yet, or its host is down).
    case unreachable(endpoint: String)
    /// The connection to the coordinator closed (it went away, or ZMTP heartbeats stopped).
    case connectionLost(endpoint: String)

    public var description: String {
        switch self {
        case let .shutdown(reason): return "coordinator shut the run down: \(reason)"
        case let .refused(code, message):
            let name = WireErrorCode(rawValue: code).map { "\($0)" } ?? "code \(code)"
            return "coordinator refused this worker (\(name)): \(message)"
        case let .coordinatorLost(endpoint, seconds):
            return "no message from the coordinator at \(endpoint) for \(Int(seconds)) s; giving up"
        case let .badMessage(text): return "unusable message from the coordinator: \(text)"
        case let .interrupted(reason): return "worker interrupted: \(reason)"
        case let .notAdmitted(endpoint, reason): return "not admitted by \(endpoint): \(reason)"
        case let .unreachable(endpoint): return "no coordinator answers at \(endpoint)"
        case let .connectionLost(endpoint): return "connection to the coordinator at \(endpoint) closed"
        }
    }

    /// True for a normal end of the run.
    public var isClean: Bool { if case .shutdown = self { return true } else { return false } }
}

/// A worker's connection to its coordinator for one run: join, receive the run and the
/// teacher, then compute shard tasks on a ``ComputePool`` while the calling thread keeps the
/// socket alive (heartbeats, parameters, tasks in FIFO order). ``WorkerService`` runs one
/// session after another.
public final class WorkerSession {
    /// Settings of one worker.
    public struct Options: Sendable {
        /// Name shown in the coordinator's logs.
        public var name: String
        /// Give up after this long without any message from the coordinator.
        public var coordinatorTimeout = 60.0
        /// Send a heartbeat after this long without sending anything (a quarter of a second,
        /// so a coordinator may use a worker timeout as short as one second).
        public var heartbeatInterval = 0.25
        /// Shards computed at once, each on its own thread with one BLAS thread.
        public var threads = 1
        /// Tasks queued at once; nil: one per thread.
        public var credit: Int?
        /// Spec hash this worker insists on (empty: accept the coordinator's models).
        public var specHash = ""
        /// End the session as soon as a connection attempt fails before the coordinator answered
        /// (``WorkerExit/unreachable(endpoint:)``) or the connection closes
        /// (``WorkerExit/connectionLost(endpoint:)``), for ``WorkerService`` to reconnect; when
        /// false, libzmq reconnects in the background until `coordinatorTimeout` passes.
        public var endOnConnectionLoss = false
        /// Number of this session in its process, part of the routing id, so a new session is a
        /// new peer to the coordinator even while it still remembers the last one.
        public var sessionNumber = 0
        /// Local mode's shared-memory folder (`distill-worker --shared-memory`): offer at join to
        /// read the parameters there and leave gradients there, which the coordinator accepts
        /// only when it made that folder (docs/PROTOCOL.md, "Shared memory").
        public var sharedMemoryFolder: String?
        public init(name: String) { self.name = name }
    }

    private let endpoint: String
    private let options: Options
    private let stop: StopFlag
    private let socket: TransportDealer
    /// Signalled by the compute threads when a result or a failure is ready.
    private let wakeup: WakeupPipe
    private var runID: UInt64 = 0
    private var lastHeard = MonotonicClock.now()
    private var lastSent = MonotonicClock.now()
    private var lastEventCheck = -Double.infinity
    private var connected = false
    /// The routing id: the name, process id and session number (it also names this session's
    /// gradients region in shared memory).
    private let routingID: String
    /// The run's parameters region, when the coordinator accepted to share memory.
    private var sharedParameters: SharedMemoryRegion?
    /// Results whose gradients lie in this worker's shared memory, with their parameter version:
    /// kept, so no student writes over them, until parameters of a newer version arrive (the
    /// coordinator makes those only after it has read every gradient of the step before).
    private var lent: [(version: Int, gradients: FloatValues)] = []
    /// The run this session joined (welcome received), or nil.
    public private(set) var joinedRun: UInt64?
    /// Test-only: rewrites each computed shard into the results actually sent (a malicious worker).
    var tamper: ((ComputedShard) -> [ComputedShard])?
    /// Receives one human line per event.
    public var report: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    /// Connects a DEALER to `endpoint` through `transport` (the connection completes in the
    /// background).
    public init(transport: Transport, endpoint: String, options: Options, stop: StopFlag) throws {
        self.endpoint = endpoint
        self.options = options
        self.stop = stop
        wakeup = try WakeupPipe()
        routingID = String(decoding: "\(options.name)-\(getpid())-\(options.sessionNumber)".utf8.suffix(200), as: UTF8.self)
        socket = try transport.connectDealer(endpoint, routingID: Array(routingID.utf8), reconnects: !options.endOnConnectionLoss)
    }

    /// Joins, serves tasks until the coordinator shuts the run down, and returns why it ended.
    public func run() throws -> WorkerExit {
        let exit = try serve()
        if joinedRun == nil { try socket.discardUnsentOnClose() }
        return exit
    }

    private func serve() throws -> WorkerExit {
        try send(.join(JoinPayload(workerName: options.name, threads: options.threads, specHash: options.specHash,
                                   computeFingerprint: ComputeFingerprint.current(), sharesMemory: options.sharedMemoryFolder != nil)))
        let compute: ComputePool
        switch try awaitWelcome() {
        case let .success(c): compute = c
        case let .failure(exit): return exit
        }
        defer {
            compute.finish()
            if !compute.teacherSHA256.isEmpty {
                report(compute.teacherUnchanged
                    ? "teacher parameters unchanged (sha256 \(compute.teacherSHA256))"
                    : "error: teacher parameters changed during the run (welcome sha256 \(compute.teacherSHA256))")
            }
        }
        try send(.ready(credit: options.credit ?? options.threads))
        while true {
            if let reason = stop.stopReason { return .interrupted(reason) }
            wakeup.drain()
            for computed in compute.takeResults() {
                for sent in tamper?(computed) ?? [computed] {
                    try send(.result(sent.result), step: sent.step, version: sent.version)
                    if sent.result.gradients.sharedOffset != nil { lent.append((sent.version, sent.result.gradients)) }
                }
                try send(.ready(credit: 1), step: computed.step, version: computed.version)
            }
            if let failure = compute.failure { 
                _ = try? send(.error(code: WireErrorCode.failed.rawValue, message: failure))
                return .badMessage(failure)
            }
            // Sleep until a message arrives, a result is ready (the compute threads signal
            // `wakeup`), the next heartbeat is due, or 50 ms pass (stop flag, connection events).
            // Clamped as a Double, so no interval converts to an Int out of range.
            let heartbeatDue = ((lastSent + options.heartbeatInterval - MonotonicClock.now()) * 1000).rounded(.up)
            let wait = heartbeatDue.isNaN ? 0 : Int(min(max(heartbeatDue, 0), 50))
            if let frames = try socket.receive(timeoutMilliseconds: wait, orWakeUp: wakeup) {
                lastHeard = MonotonicClock.now()
                let (header, message) = try decode(frames)
                switch message {
                case let .parameters(p):
                    guard header.runID == runID else { return .badMessage("parameters for run \(header.runID), joined \(runID)") }
                    lent.removeAll { UInt64($0.version) < p.version }
                    compute.enqueue(.parameters(p))
                case let .task(t):
                    guard header.runID == runID else { return .badMessage("task for run \(header.runID), joined \(runID)") }
                    compute.enqueue(.task(t))
                case .heartbeat: break
                case let .shutdown(reason): return .shutdown(reason: reason)
                case let .error(code, text): return .refused(code: code, message: text)
                default: return .badMessage("unexpected \(message.kind)")
                }
            }
            if let exit = try connectionChange() { return exit }
            let now = MonotonicClock.now()
            if now - lastHeard > options.coordinatorTimeout { return .coordinatorLost(endpoint: endpoint, seconds: now - lastHeard) }
            if now - lastSent >= options.heartbeatInterval { try send(.heartbeat) }
        }
    }

    private func awaitWelcome() throws -> Result<ComputePool, WorkerExit> {
        while true {
            if let reason = stop.stopReason { return .failure(.interrupted(reason)) }
            if let frames = try socket.receive(timeoutMilliseconds: 100) {
                lastHeard = MonotonicClock.now()
                let (header, message) = try decode(frames)
                switch message {
                case let .welcome(w):
                    do {
                        runID = w.run.runID
                        let gradientsPath = try shareMemory(accepted: header.flags & WireHeader.sharedMemoryFlag != 0)
                        let compute = try buildHeartbeating(w, sharedGradientsPath: gradientsPath)
                        joinedRun = w.run.runID
                        report("joined run \(w.run.runID): \(compute.summary)")
                        return .success(compute)
                    } catch {
                        let text = "cannot use the run: \(error)"
                        _ = try? send(.error(code: WireErrorCode.specMismatch.rawValue, message: text))
                        return .failure(.badMessage(text))
                    }
                case let .error(code, text): return .failure(.refused(code: code, message: text))
                case let .shutdown(reason): return .failure(.shutdown(reason: reason))
                default: continue
                }
            }
            if let exit = try connectionChange() { return .failure(exit) }
            let silent = MonotonicClock.now() - lastHeard
            if silent > options.coordinatorTimeout { return .failure(.coordinatorLost(endpoint: endpoint, seconds: silent)) }
        }
    }

    /// Builds the models of `welcome` on another thread while this one keeps heartbeating, so
    /// a worker building large models is not taken for a silent one.
    private func buildHeartbeating(_ welcome: WelcomePayload, sharedGradientsPath: String?) throws -> ComputePool {
        final class Outcome: @unchecked Sendable {
            let lock = NSLock()
            var value: Result<ComputePool, Error>?
        }
        let outcome = Outcome()
        let threads = options.threads, wakeup = wakeup, report = report, parameters = sharedParameters
        let thread = Thread {
            let built = Result {
                try ComputePool(welcome: welcome, threads: threads, wakeup: wakeup, sharedParameters: parameters,
                                sharedGradientsPath: sharedGradientsPath, report: report)
            }
            outcome.lock.lock()
            outcome.value = built
            outcome.lock.unlock()
        }
        thread.start()
        while true {
            outcome.lock.lock()
            let value = outcome.value
            outcome.lock.unlock()
            if let value { return try value.get() }
            if MonotonicClock.now() - lastSent >= options.heartbeatInterval { try send(.heartbeat) }
            usleep(10_000)
        }
    }

    /// Why the session must end because of what happened to its connection since the last
    /// check (at most every 50 ms), or nil: a refused handshake always ends it; with
    /// ``Options/endOnConnectionLoss``, so does a failed attempt before the connection was ever
    /// up, or a closed connection.
    private func connectionChange() throws -> WorkerExit? {
        let now = MonotonicClock.now()
        guard now - lastEventCheck >= 0.05 else { return nil }
        lastEventCheck = now
        for event in try socket.connectionEvents() {
            switch event {
            case let .handshakeFailed(reason):
                return .notAdmitted(endpoint: endpoint, reason: reason)
            case .connected:
                connected = true
            case .disconnected:
                connected = false
                if options.endOnConnectionLoss { return .connectionLost(endpoint: endpoint) }
            case .connectRetried:
                if options.endOnConnectionLoss && !connected && joinedRun == nil { return .unreachable(endpoint: endpoint) }
            }
        }
        return nil
    }

    /// When the welcome `accepted` the offer to share memory: maps the run's parameters region
    /// and returns the path of this session's gradients region, for the compute pool to make.
    /// - Throws: ``WorkerExit/badMessage(_:)`` for an acceptance of an offer never made; an
    ///   error of ``SharedMemoryRegion`` when the folder cannot serve.
    private func shareMemory(accepted: Bool) throws -> String? {
        guard accepted else { return nil }
        guard let folder = options.sharedMemoryFolder else { throw WorkerExit.badMessage("welcome shares memory, which this worker did not offer") }
        sharedParameters = try SharedMemoryRegion(opening: SharedMemoryRegion.parametersPath(folder: folder))
        return SharedMemoryRegion.gradientsPath(folder: folder, worker: routingID)
    }

    private func decode(_ frames: [Frame]) throws -> (WireHeader, WireMessage) {
        let parameters = sharedParameters
        do { return try WireCodec.decode(frames, sharedMemory: parameters.map { region in { region } }) } catch {
            throw WorkerExit.badMessage("\(error)")
        }
    }

    private func send(_ message: WireMessage, step: Int = 0, version: Int = 0) throws {
        try socket.send(frames: WireCodec.encode(message, runID: runID, step: UInt64(step), parameterVersion: UInt64(version)))
        lastSent = MonotonicClock.now()
    }
}
