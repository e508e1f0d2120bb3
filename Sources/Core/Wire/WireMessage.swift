/// A protocol-version-1 message with its typed payload. ``WireCodec`` turns it into frames
/// and back; the header's run id, step and parameter version travel beside it.
public enum WireMessage: Equatable, Sendable {
    /// Worker → coordinator, first message.
    case join(JoinPayload)
    /// Coordinator → worker, accepting a join.
    case welcome(WelcomePayload)
    /// Worker → coordinator: the worker can take `credit` more tasks.
    case ready(credit: Int)
    /// Coordinator → worker: shards to compute.
    case task(TaskPayload)
    /// Worker → coordinator: one shard's losses, statistics and gradients; the header's step and
    /// parameter version say which step and parameters it was computed for.
    case result(ShardResult)
    /// Coordinator → worker: fresh student parameters and state.
    case parameters(ParametersPayload)
    /// Either way: still alive.
    case heartbeat
    /// Coordinator → worker: stop, because of `reason`.
    case shutdown(reason: String)
    /// Either way: a refusal or failure (`code` from ``WireErrorCode`` or application-defined).
    case error(code: UInt16, message: String)

    /// The header kind of this message.
    public var kind: WireKind {
        switch self {
        case .join: return .join
        case .welcome: return .welcome
        case .ready: return .ready
        case .task: return .task
        case .result: return .result
        case .parameters: return .parameters
        case .heartbeat: return .heartbeat
        case .shutdown: return .shutdown
        case .error: return .error
        }
    }
}
