import Dispatch
import Foundation

/// A flag set from a signal handler (SIGINT, SIGTERM) and polled by the training loops,
/// so a run stops between messages or steps and leaves its output folder consistent.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var reason: String?
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    /// Why the run should stop, or nil to go on.
    public var stopReason: String? {
        lock.lock(); defer { lock.unlock() }
        return reason
    }

    /// Requests a stop (the first reason wins).
    public func stop(_ why: String) {
        lock.lock(); defer { lock.unlock() }
        if reason == nil { reason = why }
    }

    /// Routes SIGINT and SIGTERM to ``stop(_:)`` instead of killing the process.
    public func installSignalHandlers() {
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.stop("received \(name)") }
            source.resume()
            sources.append(source)
        }
    }
}

/// Thrown by a ``ShardBackend`` when a ``StopFlag`` interrupts a step; the step is not applied.
public struct RunInterrupted: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "run interrupted: \(reason)" }
}
