/// The per-shard deadline: `factor × median` of the recently observed shard round trips (sent to
/// answered) `+ grace` (the worker timeout). A copy held longer is reassigned even if its worker
/// still heartbeats, so a worker that takes tasks and then sits on them cannot stall a step.
struct ShardDeadline {
    /// Multiple of the median round trip.
    let factor: Double
    /// Seconds added to it.
    let grace: Double
    private var recent: [Double] = []
    private var next = 0
    /// Round trips remembered.
    static let window = 64

    init(factor: Double, grace: Double) {
        self.factor = factor
        self.grace = grace
    }

    /// Records one observed round trip in seconds.
    mutating func observe(_ seconds: Double) {
        guard seconds.isFinite, seconds >= 0 else { return }
        if recent.count < ShardDeadline.window { recent.append(seconds) } else { recent[next] = seconds }
        next = (next + 1) % ShardDeadline.window
    }

    /// Seconds a copy may be held: `factor × median + grace`, with the grace standing in for the
    /// median before any round trip was observed. Without that first deadline, a worker that
    /// takes every shard of the first step (it is often ready first) and sits on them while
    /// heartbeating would stall the run for good.
    var seconds: Double {
        guard !recent.isEmpty else { return factor * grace + grace }
        let sorted = recent.sorted()
        return factor * sorted[sorted.count / 2] + grace
    }
}
