/// How long a worker waits before its next connection attempt: capped exponential back-off
/// (`initial` seconds doubling per failed attempt up to `maximum`) with keyed jitter of up to
/// ±`jitter` of the delay, so a fleet of workers started together does not reconnect in step.
/// The jitter is a pure function of (worker name, attempt), as all of Distill's randomness is.
public struct ReconnectBackoff: Sendable, Equatable {
    /// Delay after the first failed attempt, in seconds.
    public var initial: Double
    /// Longest delay, in seconds.
    public var maximum: Double
    /// Largest relative deviation from the nominal delay (0.2: ±20 %).
    public var jitter: Double

    /// 0.5 s doubling to 30 s, ±20 %.
    public init(initial: Double = 0.5, maximum: Double = 30, jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// Seconds to wait after `failures` consecutive failed attempts (0: after a session that
    /// ended normally or had joined its run) by the worker named `name`.
    public func delay(afterFailures failures: Int, name: String) -> Double {
        let nominal = min(maximum, initial * Double(1 << min(max(failures, 0), 30)))
        let key = KeyedRandom(seed: SHA256.hash(Array(name.utf8)).prefix(8).reduce(0) { $0 << 8 | UInt64($1) },
                              RandomStream.reconnect)
        let deviation = (2 * key.uniformDouble(UInt64(max(failures, 0))) - 1) * jitter
        return min(maximum, nominal * (1 + deviation))
    }
}
