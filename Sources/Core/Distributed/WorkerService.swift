import Foundation

/// A worker as a long-lived service: one ``WorkerSession`` after another, so a worker started
/// before its coordinator joins it once it appears, serves the next run after one ends, and
/// rejoins a coordinator that went away and came back (a restarted coordinator resuming its
/// run from a checkpoint gets its workers back). Between sessions it waits with capped
/// exponential back-off (``ReconnectBackoff``); only a signal stops it. With `once` it runs a
/// single session, as a worker started for one run does.
///
/// Each change of state is reported once (waiting for the coordinator, joined, run ended,
/// connection lost), not every retry.
public final class WorkerService {
    /// Settings of the service.
    public struct Options: Sendable {
        /// Settings of every session.
        public var session: WorkerSession.Options
        /// Waits between sessions.
        public var backoff = ReconnectBackoff()
        /// Run one session and return its end, instead of serving run after run.
        public var once = false
        public init(session: WorkerSession.Options) { self.session = session }
    }

    private let transport: Transport
    private let endpoint: String
    private let options: Options
    private let stop: StopFlag
    /// Receives one human line per state change (and the sessions' lines).
    public var report: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    /// A service connecting to `endpoint` through `transport` (which makes a fresh socket per session).
    public init(transport: Transport, endpoint: String, options: Options, stop: StopFlag) {
        self.transport = transport
        self.endpoint = endpoint
        self.options = options
        self.stop = stop
    }

    /// Serves sessions until `stop` is set (then ``WorkerExit/interrupted(_:)``) or, with
    /// ``Options/once``, until the first session ends, and returns why it stopped.
    /// - Throws: ``ZMQError`` when a socket cannot be made or fails, ``TransportError``.
    public func run() throws -> WorkerExit {
        var failures = 0
        var sessionNumber = 0
        var waitingReported = false
        while true {
            if let reason = stop.stopReason { return .interrupted(reason) }
            var sessionOptions = options.session
            sessionOptions.sessionNumber = sessionNumber
            sessionOptions.endOnConnectionLoss = !options.once
            sessionNumber += 1
            let session = try WorkerSession(transport: transport, endpoint: endpoint, options: sessionOptions, stop: stop)
            session.report = report
            let exit = try session.run()
            if options.once { return exit }
            if case .interrupted = exit { return exit }
            if session.joinedRun != nil {
                failures = 0
                waitingReported = false
                report(exit.isClean ? "run \(session.joinedRun!) ended (\(exit)); waiting for the next run at \(endpoint)"
                                    : "left run \(session.joinedRun!): \(exit); reconnecting to \(endpoint)")
            } else {
                if !waitingReported {
                    report("\(exit); trying again with back-off (\(String(format: "%g", options.backoff.initial)) s doubling to "
                        + "\(String(format: "%g", options.backoff.maximum)) s)")
                    waitingReported = true
                }
                failures += 1
            }
            let delay = options.backoff.delay(afterFailures: max(failures - 1, 0), name: options.session.name)
            guard sleep(seconds: delay) else { return .interrupted(stop.stopReason ?? "stopped") }
        }
    }

    /// Sleeps `seconds` unless `stop` is set first; returns false if it was.
    private func sleep(seconds: Double) -> Bool {
        let end = MonotonicClock.now() + seconds
        while MonotonicClock.now() < end {
            if stop.stopReason != nil { return false }
            usleep(20_000)
        }
        return stop.stopReason == nil
    }
}
