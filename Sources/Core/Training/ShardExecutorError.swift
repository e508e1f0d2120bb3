/// Why a ``ShardExecutor`` cannot be built for a run or cannot compute a shard. On a worker
/// these values come from a coordinator, which the worker does not trust: every one is checked
/// before it can index memory.
public enum ShardExecutorError: Error, Equatable, CustomStringConvertible {
    /// The objective is outside its range: the temperature must be finite and > 0, alpha in [0, 1].
    case badObjective(temperature: Float, alpha: Float)
    /// Shard `shard` cannot be computed; `detail` names the field and its value.
    case badShard(shard: Int, detail: String)

    public var description: String {
        switch self {
        case let .badObjective(temperature, alpha):
            return "invalid objective: temperature \(temperature) (expected a finite number > 0), alpha \(alpha) (expected a number in [0, 1])"
        case let .badShard(shard, detail):
            return "shard \(shard): \(detail)"
        }
    }
}
