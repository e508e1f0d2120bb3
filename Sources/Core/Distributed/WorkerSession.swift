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
        }
    }

    /// True for a normal end of the run.
    public var isClean: Bool { if case .shutdown = self { return true } else { return false } }
}

/// A worker's connection to its coordinator: join, receive the run and the teacher, then
/// compute shard tasks on a compute thread while the calling thread keeps the socket alive
/// (heartbeats, parameters, tasks in FIFO order).
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
        /// Tasks queued at once (one computing, the rest waiting).
        public var credit = 2
        /// Spec hash this worker insists on (empty: accept the coordinator's models).
        public var specHash = ""
        public init(name: String) { self.name = name }
    }

    private let endpoint: String
    private let options: Options
    private let stop: StopFlag
    private let socket: TransportDealer
    private var runID: UInt64 = 0
    private var lastHeard = MonotonicClock.now()
    private var lastSent = MonotonicClock.now()
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
        socket = try transport.connectDealer(endpoint, routingID: Array("\(options.name)-\(getpid())".utf8.prefix(200)))
    }

    /// Joins, serves tasks until the coordinator shuts the run down, and returns why it ended.
    public func run() throws -> WorkerExit {
        try send(.join(JoinPayload(workerName: options.name, threads: 1, specHash: options.specHash,
                                   computeFingerprint: ComputeFingerprint.current())))
        let compute: ComputeThread
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
        try send(.ready(credit: options.credit))
        while true {
            if let reason = stop.stopReason { return .interrupted(reason) }
            for computed in compute.takeResults() {
                for sent in tamper?(computed) ?? [computed] {
                    try send(.result(sent.result), step: sent.step, version: sent.version)
                }
                try send(.ready(credit: 1), step: computed.step, version: computed.version)
            }
            if let failure = compute.failure { 
                _ = try? send(.error(code: WireErrorCode.failed.rawValue, message: failure))
                return .badMessage(failure)
            }
            // A short poll: a finished result waits at most 1 ms before it is sent.
            if let frames = try socket.receive(timeoutMilliseconds: 1) {
                lastHeard = MonotonicClock.now()
                let (header, message) = try decode(frames)
                switch message {
                case let .parameters(p):
                    guard header.runID == runID else { return .badMessage("parameters for run \(header.runID), joined \(runID)") }
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
            let now = MonotonicClock.now()
            if now - lastHeard > options.coordinatorTimeout { return .coordinatorLost(endpoint: endpoint, seconds: now - lastHeard) }
            if now - lastSent >= options.heartbeatInterval { try send(.heartbeat) }
        }
    }

    private func awaitWelcome() throws -> Result<ComputeThread, WorkerExit> {
        while true {
            if let reason = stop.stopReason { return .failure(.interrupted(reason)) }
            if let frames = try socket.receive(timeoutMilliseconds: 100) {
                lastHeard = MonotonicClock.now()
                let (_, message) = try decode(frames)
                switch message {
                case let .welcome(w):
                    do {
                        runID = w.run.runID
                        let compute = try buildHeartbeating(w)
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
            if let failure = try socket.handshakeFailure() { return .failure(.notAdmitted(endpoint: endpoint, reason: failure)) }
            let silent = MonotonicClock.now() - lastHeard
            if silent > options.coordinatorTimeout { return .failure(.coordinatorLost(endpoint: endpoint, seconds: silent)) }
        }
    }

    /// Builds the models of `welcome` on another thread while this one keeps heartbeating, so
    /// a worker building large models is not taken for a silent one.
    private func buildHeartbeating(_ welcome: WelcomePayload) throws -> ComputeThread {
        final class Outcome: @unchecked Sendable {
            let lock = NSLock()
            var value: Result<ComputeThread, Error>?
        }
        let outcome = Outcome()
        let thread = Thread {
            let built = Result { try ComputeThread(welcome: welcome) }
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

    private func decode(_ frames: [[UInt8]]) throws -> (WireHeader, WireMessage) {
        do { return try WireCodec.decode(frames) } catch {
            throw WorkerExit.badMessage("\(error)")
        }
    }

    private func send(_ message: WireMessage, step: Int = 0, version: Int = 0) throws {
        try socket.send(frames: WireCodec.encode(message, runID: runID, step: UInt64(step), parameterVersion: UInt64(version)))
        lastSent = MonotonicClock.now()
    }
}
