import Foundation

/// Runs element-wise work on a flat buffer in contiguous ranges side by side on up to
/// ``threads`` threads: the coordinator's reduce, gradient norm and optimiser step.
///
/// Work whose result for element `i` depends only on element `i` gives the same bits however
/// the buffer is split, so the thread count never changes a result. Buffers shorter than
/// ``minimumCount`` run on the calling thread, where a hand-off would cost more than it saves.
/// The helper threads (a ``ThreadCrew``) are started once and kept until the instance goes away;
/// a ``LocalShardPool``'s (``LocalShardPool/elementwise``) shares the pool's, so that the threads
/// that computed a step's shards go on to its reduce and optimiser pass.
public final class ElementwiseParallelism: @unchecked Sendable {
    /// The most threads one call uses (at least 1): the caller and `threads − 1` helpers.
    public let threads: Int

    /// Buffers shorter than this run on the calling thread.
    public static let minimumCount = 1 << 16

    /// One thread: everything on the calling thread.
    public static let serial = ElementwiseParallelism(threads: 1)

    private let crew: ThreadCrew?

    public init(threads: Int) {
        self.threads = max(threads, 1)
        crew = self.threads > 1 ? ThreadCrew(helpers: self.threads - 1, name: "distill-elementwise") : nil
    }

    /// Runs on `crew`'s threads and the caller, `threads` in all (1 without a crew).
    init(sharing crew: ThreadCrew?, threads: Int) {
        self.threads = crew == nil ? 1 : max(threads, 1)
        self.crew = crew
    }

    /// Calls `body` once per range of a split of `0..<count` into at most ``threads`` contiguous
    /// ranges, concurrently. Every range but the last starts and ends on a multiple of
    /// `alignment`, so fixed-size blocks of that many elements never straddle two calls.
    public func forEachRange(count: Int, alignment: Int = 64, _ body: (Range<Int>) -> Void) {
        let split = Split(count: count, alignment: alignment, threads: threads)
        guard split.parts > 1, let crew else {
            if count > 0 { body(0..<count) }
            return
        }
        crew.run(parts: split.parts) { part in
            if let range = split.range(part) { body(range) }
        }
    }

    /// ``forEachRange(count:alignment:_:)`` calling `job.run(_:)`, without allocating.
    func forEachRange(count: Int, alignment: Int = 64, job: RangeJob) {
        let split = Split(count: count, alignment: alignment, threads: threads)
        guard split.parts > 1, let crew else {
            if count > 0 { job.run(0..<count) }
            return
        }
        current = (split, job)
        crew.run(parts: split.parts, job: self)
        current = nil
    }

    /// The split and job of the current ``forEachRange(count:alignment:job:)`` call.
    private var current: (split: Split, job: RangeJob)?

    /// `0..<count` cut into `parts` ranges on multiples of `alignment`.
    private struct Split {
        let count: Int, alignment: Int, units: Int, parts: Int

        init(count: Int, alignment: Int, threads: Int) {
            self.count = count
            self.alignment = alignment
            units = (count + alignment - 1) / alignment
            parts = count < ElementwiseParallelism.minimumCount ? 1 : min(threads, units)
        }

        /// Range `part`, or nil when it is empty.
        func range(_ part: Int) -> Range<Int>? {
            let lower = min(units * part / parts * alignment, count), upper = min(units * (part + 1) / parts * alignment, count)
            return lower < upper ? lower..<upper : nil
        }
    }
}

extension ElementwiseParallelism: CrewJob {
    func run(part: Int) {
        let (split, job) = current!
        if let range = split.range(part) { job.run(range) }
    }
}

/// Element-wise work over ranges that ``ElementwiseParallelism/forEachRange(count:alignment:job:)``
/// runs: an object its caller keeps, so that a call allocates nothing.
protocol RangeJob: AnyObject {
    /// Does the work for `range`; ranges of one call run concurrently and do not overlap.
    func run(_ range: Range<Int>)
}
