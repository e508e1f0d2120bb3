import Foundation

/// Runs element-wise work on a flat buffer in contiguous ranges side by side on up to
/// ``threads`` threads: the coordinator's reduce, gradient norm and optimiser step.
///
/// Work whose result for element `i` depends only on element `i` gives the same bits however
/// the buffer is split, so the thread count never changes a result. Buffers shorter than
/// ``minimumCount`` run on the calling thread, where a hand-off would cost more than it saves.
/// The helper threads are started once and kept until the instance goes away: a call allocates
/// one block (its work's context), where `DispatchQueue.concurrentPerform` allocated about eight.
public final class ElementwiseParallelism: @unchecked Sendable {
    /// The most threads one call uses (at least 1): the caller and `threads − 1` helpers.
    public let threads: Int

    /// Buffers shorter than this run on the calling thread.
    public static let minimumCount = 1 << 16

    /// One thread: everything on the calling thread.
    public static let serial = ElementwiseParallelism(threads: 1)

    private let crew: Crew?

    public init(threads: Int) {
        self.threads = max(threads, 1)
        crew = self.threads > 1 ? Crew(helpers: self.threads - 1) : nil
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

    /// Helper threads that take the parts of one call at a time.
    private final class Crew: @unchecked Sendable {
        private let condition = NSCondition()
        /// The current call's work (nil between calls), its part count, the next part not yet
        /// taken, and the parts not yet finished.
        private var work: ((Int) -> Void)?
        private var parts = 0
        private var next = 0
        private var unfinished = 0
        private var stopped = false

        init(helpers: Int) {
            for index in 0..<helpers {
                let thread = Thread { self.serve() }  // keeps the crew until `stop()`
                thread.name = "distill-elementwise-\(index)"
                thread.start()
            }
        }

        /// Ends the helper threads once they finish what they are doing.
        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }

        /// Runs `body(0..<parts)`, part 0 and any part no helper has taken on the calling thread,
        /// and returns when every part has finished.
        func run(parts: Int, _ body: (Int) -> Void) {
            withoutActuallyEscaping(body) { body in
                condition.lock()
                work = body
                self.parts = parts
                next = 1
                unfinished = parts
                condition.broadcast()
                condition.unlock()
                var part = 0
                while true {
                    body(part)
                    condition.lock()
                    unfinished -= 1
                    guard next < parts else { break }
                    part = next
                    next += 1
                    condition.unlock()
                }
                while unfinished > 0 { condition.wait() }
                work = nil
                condition.unlock()
            }
        }

        private func serve() {
            condition.lock()
            while true {
                while !stopped && (work == nil || next >= parts) { condition.wait() }
                if stopped { break }
                let part = next
                next += 1
                let body = work!
                condition.unlock()
                body(part)
                condition.lock()
                unfinished -= 1
                if unfinished == 0 { condition.broadcast() }
            }
            condition.unlock()
        }
    }
}
