import Foundation
import Synchronization

/// Work a ``ThreadCrew`` runs part by part: an object its caller keeps between calls, so that
/// handing it over allocates nothing.
protocol CrewJob: AnyObject {
    /// Runs part `part`; parts run concurrently.
    func run(part: Int)
}

/// Helper threads, started once, that take the parts of one call at a time with the calling
/// thread: `run(parts:job:)` allocates nothing, `run(parts:_:)` one block (its closure's
/// context), where `DispatchQueue.concurrentPerform` allocated about eight. One call at a time:
/// calls from two threads must not overlap. Several owners may share one crew (a
/// ``LocalShardPool`` and its ``ElementwiseParallelism``); its threads end when the last owner
/// lets go of it.
///
/// A thread that runs out of parts spins for up to ``spinSeconds`` (yielding its core to any
/// other runnable thread on each turn) before it sleeps on a condition: a training step hands
/// work to the crew several times within a millisecond (the shards, then the reduce and
/// optimiser pass), and waking a sleeping thread costs tens of microseconds each time.
final class ThreadCrew: Sendable {
    /// How long an idle thread keeps looking for work before it sleeps.
    static let spinSeconds = 200e-6

    /// What the threads share; they hold it, not the crew, so the crew can go away and stop them.
    private let shared = Shared()

    /// `helpers` threads named `name-0`, `name-1`, …
    init(helpers: Int, name: String) {
        for index in 0..<helpers {
            let thread = Thread { [shared] in shared.serve() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    deinit { shared.stop() }

    /// Runs `body(0..<parts)`, part 0 and any part no helper has taken on the calling thread,
    /// and returns when every part has finished.
    func run(parts: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in shared.run(parts: parts, .closure(body)) }
    }

    /// Runs `job.run(part:)` for parts `0..<parts` as ``run(parts:_:)`` does, without allocating.
    func run(parts: Int, job: CrewJob) { shared.run(parts: parts, .job(job)) }

    /// A call's work: a closure, or a job object.
    enum Work {
        case closure((Int) -> Void)
        case job(CrewJob)

        func callAsFunction(_ part: Int) {
            switch self {
            case let .closure(body): body(part)
            case let .job(job): job.run(part: part)
            }
        }
    }

    /// The state of the calls and the threads' loop.
    private final class Shared: @unchecked Sendable {
        /// The current call: its generation (bits 32…), part count (bits 16…31) and next part
        /// not yet taken (bits 0…15). A part is taken by a compare-exchange that names the
        /// generation, so a thread that wakes late never takes a part of a later call.
        private let state = Atomic<Int>(0)
        /// Parts of the current call not yet finished.
        private let unfinished = Atomic<Int>(0)
        private let stopped = Atomic<Bool>(false)
        /// Sleeping threads wait on it: helpers for a new generation, the caller for the last part.
        private let condition = NSCondition()
        /// The current call's work, written before its generation is published and read only by
        /// a thread holding one of its parts (so the call cannot end, and the next overwrite it, first).
        private var work: Work?

        /// Ends the helper threads once they finish what they are doing.
        func stop() {
            stopped.store(true, ordering: .releasing)
            wakeSleepers()
        }

        func run(parts: Int, _ body: Work) {
            guard parts > 1 else {
                if parts == 1 { body(0) }
                return
            }
            precondition(parts < 1 << 16, "a crew call has at most 65535 parts")
            work = body
            unfinished.store(parts, ordering: .relaxed)
            let generation = (state.load(ordering: .relaxed) >> 32) + 1
            state.store(generation << 32 | parts << 16 | 1, ordering: .releasing)
            wakeSleepers()
            var part: Int? = 0
            while let p = part {
                body(p)
                finish()
                part = take(generation: generation)
            }
            if !spin(until: { unfinished.load(ordering: .acquiring) == 0 }) {
                condition.lock()
                while unfinished.load(ordering: .acquiring) != 0 { condition.wait() }
                condition.unlock()
            }
            work = nil
        }

        /// Takes the next part of call `generation`, or nil when it has none left.
        private func take(generation: Int) -> Int? {
            var current = state.load(ordering: .acquiring)
            while current >> 32 == generation {
                let next = current & 0xFFFF, parts = (current >> 16) & 0xFFFF
                guard next < parts else { return nil }
                let (exchanged, original) = state.compareExchange(
                    expected: current, desired: current + 1, successOrdering: .acquiring, failureOrdering: .acquiring)
                if exchanged { return next }
                current = original
            }
            return nil
        }

        /// Marks one part finished; the last one wakes a caller that went to sleep.
        private func finish() {
            if unfinished.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { wakeSleepers() }
        }

        /// Wakes every thread sleeping on ``condition`` (cheap when none is: no system call).
        private func wakeSleepers() {
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }

        /// Spins, yielding the core on each turn, until `done` or ``ThreadCrew/spinSeconds``
        /// passed; returns `done`.
        private func spin(until done: () -> Bool) -> Bool {
            let deadline = MonotonicClock.now() + ThreadCrew.spinSeconds
            while !done() {
                if MonotonicClock.now() > deadline { return false }
                sched_yield()
            }
            return true
        }

        /// Whether a helper that last served generation `seen` has something to do: a new
        /// call, or stopping.
        private func hasWork(seen: Int) -> Bool {
            stopped.load(ordering: .acquiring) || state.load(ordering: .acquiring) >> 32 != seen
        }

        /// A helper thread's loop, until ``stop()``.
        func serve() {
            var seen = 0
            while true {
                if !spin(until: { hasWork(seen: seen) }) {
                    condition.lock()
                    while !hasWork(seen: seen) { condition.wait() }
                    condition.unlock()
                }
                if stopped.load(ordering: .acquiring) { return }
                seen = state.load(ordering: .acquiring) >> 32
                while let part = take(generation: seen) {
                    work!(part)
                    finish()
                }
            }
        }
    }
}
