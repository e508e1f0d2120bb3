import Foundation

/// One worker as the coordinator's peer table last saw it (see ``WorkerBoard``).
public struct WorkerSnapshot: Sendable, Equatable {
    /// The name the worker joined with.
    public var name: String
    /// Its IP address (TCP), or "local" (ipc://, inproc://).
    public var address: String
    /// Results accepted from it.
    public var shardsDone: Int
    /// Seconds from sending to answer, summed over those results.
    public var shardSeconds: Double
    /// ``MonotonicClock`` time of its last message.
    public var lastHeard: Double

    public init(name: String, address: String, shardsDone: Int, shardSeconds: Double, lastHeard: Double) {
        self.name = name
        self.address = address
        self.shardsDone = shardsDone
        self.shardSeconds = shardSeconds
        self.lastHeard = lastHeard
    }

    /// Mean seconds per accepted shard, or nil before the first.
    public var meanShardSeconds: Double? { shardsDone > 0 ? shardSeconds / Double(shardsDone) : nil }
}

/// The coordinator's peer table as monitors read it: the ``CoordinatorServer`` publishes a
/// copy on its own thread (at most twice a second and after every step) and `status.json` and
/// `/metrics` read it from theirs, so they never touch the server's state.
public final class WorkerBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var workers: [WorkerSnapshot] = []
    private var rejected = 0
    private var count = 0

    public init() {}

    /// Replaces what the board shows.
    public func publish(workers: [WorkerSnapshot], rejectedResults: Int) {
        lock.lock()
        defer { lock.unlock() }
        self.workers = workers
        rejected = rejectedResults
        count = workers.count
    }

    /// The number of connected workers (without copying the list).
    public var connected: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    /// The connected workers (in join order) and the results rejected so far.
    public func snapshot() -> (workers: [WorkerSnapshot], rejectedResults: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (workers, rejected)
    }
}
