/// The message kinds of protocol version 1, as the header's kind byte encodes them.
/// See docs/PROTOCOL.md for who sends which and when.
public enum WireKind: UInt8, Sendable, CaseIterable {
    /// Worker → coordinator: first message after connecting.
    case join = 1
    /// Coordinator → worker: accepts a join and carries the run's configuration and teacher.
    case welcome = 2
    /// Worker → coordinator: grants credit for more tasks.
    case ready = 3
    /// Coordinator → worker: micro-shards of one step to compute gradients for.
    case task = 4
    /// Worker → coordinator: losses, statistics and gradients of one shard.
    case result = 5
    /// Coordinator → worker: the student's parameters and state at a version.
    case parameters = 6
    /// Either way: liveness when there is nothing else to send.
    case heartbeat = 7
    /// Coordinator → worker: stop after this message.
    case shutdown = 8
    /// Either way: a refusal or failure the receiver should log.
    case error = 9
}
