import Dispatch

/// Runs element-wise work on a flat buffer in contiguous ranges side by side on up to
/// ``threads`` threads: the coordinator's reduce, gradient norm and optimiser step.
///
/// Work whose result for element `i` depends only on element `i` gives the same bits however
/// the buffer is split, so the thread count never changes a result. Buffers shorter than
/// ``minimumCount`` run on the calling thread, where a hand-off would cost more than it saves.
public struct ElementwiseParallelism: Sendable, Equatable {
    /// The most threads one call uses (at least 1).
    public let threads: Int

    /// Buffers shorter than this run on the calling thread.
    public static let minimumCount = 1 << 16

    /// One thread: everything on the calling thread.
    public static let serial = ElementwiseParallelism(threads: 1)

    public init(threads: Int) { self.threads = max(threads, 1) }

    /// Calls `body` once per range of a split of `0..<count` into at most ``threads`` contiguous
    /// ranges, concurrently. Every range but the last starts and ends on a multiple of
    /// `alignment`, so fixed-size blocks of that many elements never straddle two calls.
    public func forEachRange(count: Int, alignment: Int = 64, _ body: (Range<Int>) -> Void) {
        let units = (count + alignment - 1) / alignment
        let parts = count < Self.minimumCount ? 1 : min(threads, units)
        guard parts > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { t in
            let lower = min(units * t / parts * alignment, count), upper = min(units * (t + 1) / parts * alignment, count)
            if lower < upper { body(lower..<upper) }
        }
    }
}
