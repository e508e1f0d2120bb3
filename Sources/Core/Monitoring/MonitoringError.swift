/// Why a run's monitoring output (TensorBoard events, status, metrics server, plots) failed.
public enum MonitoringError: Error, CustomStringConvertible, Equatable {
    /// A monitoring file could not be written.
    case cannotWrite(path: String, detail: String)
    /// `status.json` is missing or not a run status.
    case unreadableStatus(path: String, detail: String)
    /// A `metrics.jsonl` line that is not a JSON object with the fields a plot needs.
    case badMetricsLine(path: String, line: Int, detail: String)
    /// The `--metrics` address is not `PORT` or `HOST:PORT`, or cannot be bound.
    case badMetricsAddress(String, detail: String)

    public var description: String {
        switch self {
        case let .cannotWrite(path, detail): return "cannot write \(path): \(detail)"
        case let .unreadableStatus(path, detail): return "cannot read the run status \(path): \(detail)"
        case let .badMetricsLine(path, line, detail): return "\(path) line \(line): \(detail)"
        case let .badMetricsAddress(address, detail): return "--metrics \(address): \(detail)"
        }
    }
}
