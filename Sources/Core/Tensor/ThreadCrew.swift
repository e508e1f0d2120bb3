import Foundation

/// Work a ``ThreadCrew`` runs part by part: an object its caller keeps between calls, so that
/// handing it over allocates nothing.
protocol CrewJob: AnyObject {
    /// Runs part `part`; parts run concurrently.
    func run(part: Int)
}

/// Helper threads, started once, that take the parts of one call at a time with the calling
/// thread: `run(parts:job:)` allocates nothing, `run(parts:_:)` one block (its closure's
/// context), where `DispatchQueue.concurrentPerform` allocated about eight. One call at a time:
/// calls from two threads must not overlap. The threads end with ``stop()``.
final class ThreadCrew: @unchecked Sendable {
    private let condition = NSCondition()
    /// The current call's work (nil between calls), its part count, the next part not yet
    /// taken, and the parts not yet finished.
    private var work: Work?
    private var parts = 0
    private var next = 0
    private var unfinished = 0
    private var stopped = false

    /// `helpers` threads named `name-0`, `name-1`, …
    init(helpers: Int, name: String) {
        for index in 0..<helpers {
            let thread = Thread { self.serve() }  // keeps the crew until `stop()`
            thread.name = "\(name)-\(index)"
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

    /// A call's work: a closure, or a job object.
    private enum Work {
        case closure((Int) -> Void)
        case job(CrewJob)

        func callAsFunction(_ part: Int) {
            switch self {
            case let .closure(body): body(part)
            case let .job(job): job.run(part: part)
            }
        }
    }

    /// Runs `body(0..<parts)`, part 0 and any part no helper has taken on the calling thread,
    /// and returns when every part has finished.
    func run(parts: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in run(parts: parts, .closure(body)) }
    }

    /// Runs `job.run(part:)` for parts `0..<parts` as ``run(parts:_:)`` does, without allocating.
    func run(parts: Int, job: CrewJob) { run(parts: parts, .job(job)) }

    private func run(parts: Int, _ body: Work) {
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
