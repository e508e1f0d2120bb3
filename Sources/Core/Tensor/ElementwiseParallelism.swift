import Foundation

/// Runs element-wise work on a flat buffer in contiguous ranges side by side on up to
/// ``threads`` threads: the coordinator's reduce, gradient norm and optimiser step.
///
/// Work whose result for element `i` depends only on element `i` gives the same bits however
/// the buffer is split, so the thread count never changes a result. Buffers shorter than
/// ``minimumCount`` run on the calling thread, where a hand-off would cost more than it saves.
/// The helper threads (a ``ThreadCrew``) are started once and kept until the instance goes away.
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

    deinit { crew?.stop() }

    /// Calls `body` once per range of a split of `0..<count` into at most ``threads`` contiguous
    /// ranges, concurrently. Every range but the last starts and ends on a multiple of
    /// `alignment`, so fixed-size blocks of that many elements never straddle two calls.
    public func forEachRange(count: Int, alignment: Int = 64, _ body: (Range<Int>) -> Void) {
        let units = (count + alignment - 1) / alignment
        let parts = count < Self.minimumCount ? 1 : min(threads, units)
        guard parts > 1, let crew else {
            if count > 0 { body(0..<count) }
            return
        }
        crew.run(parts: parts) { t in
            let lower = min(units * t / parts * alignment, count), upper = min(units * (t + 1) / parts * alignment, count)
            if lower < upper { body(lower..<upper) }
        }
    }
}
