import Foundation

/// One shard computed by a worker, with the step and parameter version it was computed for.
struct ComputedShard {
    var result: ShardResult
    var step: Int
    var version: Int
}

/// A worker's compute threads: each computes one shard at a time with its own
/// ``ShardExecutor`` (one BLAS thread, so a shard's result does not depend on the thread),
/// while the socket thread stays free for heartbeats. Parameter updates and tasks are taken in
/// the order they arrived, and every task's student runs at exactly the parameter version it
/// names:
/// - a task at the version the worker holds is computed at once;
/// - a task at a later version (sent ahead of its parameters, so the teacher runs while the
///   coordinator finishes the step before) has its teacher's logits computed, then waits,
///   parked, until that version is applied, while the thread goes on with other work;
/// - an update waits until no task at the version it replaces is still running, and it must
///   be newer than the version held and no newer than any parked task's.
///
/// Anything else is a protocol failure (``failure``): a task for a version already replaced,
/// an update that is not newer, or one that skips a parked task's version.
final class ComputePool: @unchecked Sendable {
    enum Item {
        case parameters(ParametersPayload)
        case task(TaskPayload)
    }

    /// A task whose teacher ran before its parameters arrived: its shards carry the logits.
    private struct ParkedTask {
        let payload: TaskPayload
        let shards: [ShardTask]
        /// Seconds the teacher took, per shard (added to each result's compute time).
        let teacherSeconds: [Double]
    }

    private let condition = NSCondition()
    private var queue: [Item] = []
    /// Tasks at the version held, being computed now: an update waits for them.
    private var running = 0
    /// Tasks ahead of the version held whose teacher has run.
    private var parked: [ParkedTask] = []
    /// Versions of the tasks whose teacher is running ahead now (they park next).
    private var teachersAhead: [UInt64] = []
    private var done: [ComputedShard] = []
    private var failureText: String?
    private var finished = false
    private let student: ModelParameters
    private let inputShape: [Int]
    private let classes: Int
    private var version: UInt64?
    private let teacher: ModelParameters?
    /// Signalled whenever a result or a failure is ready.
    private let wakeup: WakeupPipe
    /// SHA-256 of the frozen teacher as received in the welcome (empty without a teacher).
    let teacherSHA256: String
    /// One line describing the run, for the worker's log.
    let summary: String

    /// The gradients region its executors write into (local mode), removed from the folder
    /// when the pool goes (the coordinator keeps its mapping).
    private let sharedGradients: SharedMemoryRegion?
    /// Whether the students read the parameters in the run's shared region (local mode): then
    /// an update only checks them there, and copies nothing but the state.
    private let readsSharedParameters: Bool

    /// Builds the models of the welcome (whose run description the decoder has range-checked)
    /// and starts `threads` compute threads (at least one), which signal `wakeup` whenever a
    /// result or a failure is ready. With `sharedParameters` (the run's parameters region), the
    /// students read the parameters there. With `sharedGradientsPath`, it creates that shared-memory
    /// file and its executors keep their gradient buffers there; if the file cannot be made
    /// (e.g. a full `/dev/shm`), `report` says so and gradients go through the socket.
    /// - Throws: ``WorkerExit/badMessage(_:)`` when the teacher's weights do not fit its spec or
    ///   are not finite, or the parameters region is too small for the student; a model error
    ///   when a spec cannot be built.
    init(welcome: WelcomePayload, threads: Int, wakeup: WakeupPipe, sharedParameters: SharedMemoryRegion? = nil,
         sharedGradientsPath: String? = nil, report: (String) -> Void = { _ in }) throws {
        self.wakeup = wakeup
        let run = welcome.run
        let studentNetwork = try Network(spec: run.studentSpec, inputShape: run.inputShape, classes: run.classes)
        let layout = studentNetwork.layout
        let student: ModelParameters
        if let region = sharedParameters {
            do { try region.check(offset: 0, bytes: 4 * layout.parameterCount) } catch { throw WorkerExit.badMessage("\(error)") }
            student = ModelParameters(layout: layout, values: region.mutableFloats(offset: 0, count: layout.parameterCount), keeping: region)
        } else {
            student = ModelParameters(layout: layout)
        }
        self.student = student
        readsSharedParameters = sharedParameters != nil
        var teacher: (ModelSpec, ModelParameters)?
        if let spec = run.teacherSpec {
            let network = try Network(spec: spec, inputShape: run.inputShape, classes: run.classes)
            let parameters = ModelParameters(layout: network.layout)
            guard welcome.teacherParameters.values.count == network.layout.parameterCount,
                  welcome.teacherState.values.count == network.layout.stateCount else {
                throw WorkerExit.badMessage("teacher weights hold \(welcome.teacherParameters.values.count) + \(welcome.teacherState.values.count) values, "
                    + "\(spec.name) needs \(network.layout.parameterCount) + \(network.layout.stateCount)")
            }
            guard MagnitudeScan.firstNonFinite(welcome.teacherParameters.values) == nil,
                  MagnitudeScan.firstNonFinite(welcome.teacherState.values) == nil else {
                throw WorkerExit.badMessage("teacher weights hold non-finite values")
            }
            parameters.values.baseAddress!.update(from: welcome.teacherParameters.values, count: network.layout.parameterCount)
            parameters.state.baseAddress!.update(from: welcome.teacherState.values, count: network.layout.stateCount)
            teacher = (spec, parameters)
        }
        self.teacher = teacher?.1
        teacherSHA256 = teacher?.1.sha256() ?? ""
        let threads = max(threads, 1), slotBytes = SharedMemoryRegion.aligned(4 * studentNetwork.layout.parameterCount)
        var region: SharedMemoryRegion?
        do { region = try sharedGradientsPath.map { try SharedMemoryRegion(creating: $0, bytes: threads * GradientBuffers.kept * slotBytes) } } catch {
            report("warning: gradients go through the socket: \(error)")
        }
        self.sharedGradients = region
        var executors: [ShardExecutor] = []
        for t in 0..<threads {
            executors.append(try ShardExecutor(
                studentSpec: run.studentSpec, studentParameters: student, teacher: teacher,
                inputShape: run.inputShape, classes: run.classes, objective: run.objective,
                normalization: run.normalization, seed: run.seed, gradientEncoding: run.gradientEncoding,
                sharedGradients: region.map { ($0, (0..<GradientBuffers.kept).map { (t * GradientBuffers.kept + $0) * slotBytes }) },
                teacherSibling: executors.first?.teacher))
        }
        inputShape = run.inputShape
        classes = run.classes
        summary = "\(run.studentSpec.name) (\(studentNetwork.layout.parameterCount) parameters)"
            + (run.teacherSpec.map { " distilled from \($0.name)" } ?? "") + ", input \(run.inputShape), \(run.classes) classes, "
            + "\(executors.count) compute thread\(executors.count == 1 ? "" : "s")"
            + (run.gradientEncoding == .float32 ? "" : ", \(run.gradientEncoding.configName) gradients")
            + (sharedParameters == nil ? "" : region == nil ? ", parameters in shared memory" : ", parameters and gradients in shared memory")
        for (index, executor) in executors.enumerated() {
            executor.scansGradients = false  // the coordinator scans what it receives
            // The thread keeps the pool alive until it has seen `finish()`.
            let thread = Thread { self.loop(executor) }
            thread.name = "distill-compute-\(index)"
            thread.start()
        }
    }

    /// Whether the frozen teacher still hashes to what the welcome delivered (true without a teacher).
    var teacherUnchanged: Bool { teacher.map { $0.sha256() == teacherSHA256 } ?? true }

    /// Queues a parameter update or a task.
    func enqueue(_ item: Item) {
        condition.lock()
        queue.append(item)
        condition.broadcast()
        condition.unlock()
    }

    /// Results finished since the last call, with their step and parameter version.
    func takeResults() -> [ComputedShard] {
        condition.lock(); defer { condition.unlock() }
        let out = done
        done.removeAll()
        return out
    }

    /// Set when a task could not be computed (wrong version or shape).
    var failure: String? {
        condition.lock(); defer { condition.unlock() }
        return failureText
    }

    /// Stops every thread after the shard it is working on.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
        if let path = sharedGradients?.path { unlink(path) }  // the coordinator's mapping stays valid
    }

    /// One compute thread: runs a parked task whose version has arrived, else takes the next
    /// item: applies an update once no task at the version it replaces is running, computes a
    /// task at the version held, or runs the teacher of a task ahead of it and parks it.
    private func loop(_ executor: ShardExecutor) {
        BLAS.setThreads(1)
        condition.lock()
        while !finished && failureText == nil {
            if let i = parked.firstIndex(where: { $0.payload.parameterVersion == version }) {
                let task = parked.remove(at: i)
                computeHoldingLock(task.payload, shards: task.shards, teacherSeconds: task.teacherSeconds, on: executor)
                continue
            }
            guard let item = queue.first else {
                condition.wait()
                continue
            }
            switch item {
            case let .parameters(p):
                guard running == 0 else {
                    condition.wait()
                    continue
                }
                queue.removeFirst()
                apply(p)
                condition.broadcast()
                if failureText != nil { wakeup.signal() }
            case let .task(t):
                queue.removeFirst()
                if t.parameterVersion == version {
                    computeHoldingLock(t, shards: t.shards, teacherSeconds: nil, on: executor)
                } else if version.map({ t.parameterVersion > $0 }) ?? true {
                    runTeacherAheadHoldingLock(t, on: executor)
                } else {
                    failureText = "task for parameter version \(t.parameterVersion) arrived after version \(version!) replaced it"
                    wakeup.signal()
                }
            }
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Computes task `t` at the version held: its `shards` as received, or, with
    /// `teacherSeconds`, as parked (validated, with the teacher logits computed ahead); called
    /// and returning with the lock held, which it releases meanwhile.
    private func computeHoldingLock(_ t: TaskPayload, shards: [ShardTask], teacherSeconds: [Double]?, on executor: ShardExecutor) {
        running += 1
        condition.unlock()
        var outcome = compute(t, shards: shards, validated: teacherSeconds != nil, on: executor)
        if let teacherSeconds, case var .success(computed) = outcome {
            for i in computed.indices { computed[i].result.computeSeconds += teacherSeconds[i] }
            outcome = .success(computed)
        }
        condition.lock()
        running -= 1
        record(outcome)
    }

    /// Runs the teacher of task `t`, which names a version not yet held, and parks it; called
    /// and returning with the lock held, which it releases meanwhile.
    private func runTeacherAheadHoldingLock(_ t: TaskPayload, on executor: ShardExecutor) {
        teachersAhead.append(t.parameterVersion)
        condition.unlock()
        var shards: [ShardTask] = [], seconds: [Double] = [], failure: String?
        for shard in t.shards {
            let started = MonotonicClock.now()
            if let bad = problem(in: shard) {
                failure = bad
                break
            }
            do { try executor.validate(shard, step: 0) } catch {
                failure = "\(error)"
                break
            }
            shards.append(executor.withTeacherLogits(shard))
            seconds.append(MonotonicClock.now() - started)
        }
        condition.lock()
        teachersAhead.remove(at: teachersAhead.firstIndex(of: t.parameterVersion)!)
        if let failure {
            record(.failure(TaskFailure(text: failure)))
        } else {
            parked.append(ParkedTask(payload: t, shards: shards, teacherSeconds: seconds))
            condition.broadcast()
        }
    }

    /// Files a task's outcome (with the lock held) and wakes the socket thread.
    private func record(_ outcome: Result<[ComputedShard], TaskFailure>) {
        switch outcome {
        case let .success(shards): done.append(contentsOf: shards)
        case let .failure(failure): failureText = failureText ?? failure.text
        }
        condition.broadcast()
        wakeup.signal()
    }

    /// Applies parameter update `p` (called with the lock held and no task running): checks it and
    /// copies it into the student, or, when the students read the shared region, checks it there.
    private func apply(_ p: ParametersPayload) {
        if let held = version, p.version <= held {
            failureText = "parameters of version \(p.version) arrived after version \(held)"
            return
        }
        if let skipped = (parked.map(\.payload.parameterVersion) + teachersAhead).filter({ $0 < p.version }).min() {
            failureText = "parameters of version \(p.version) arrived before those of version \(skipped), which a waiting task needs"
            return
        }
        guard p.parameters.count == student.layout.parameterCount, p.state.count == student.layout.stateCount else {
            failureText = "parameters hold \(p.parameters.count) + \(p.state.count) values, the student needs "
                + "\(student.layout.parameterCount) + \(student.layout.stateCount)"
            return
        }
        // The students read the region itself when they share it: the update must name it.
        if readsSharedParameters, p.parameters.sharedOffset != 0 {
            failureText = "parameters of version \(p.version) arrived "
                + (p.parameters.sharedOffset.map { "at offset \($0) of shared memory" } ?? "in a frame")
                + ", but this worker's students read them at offset 0 of the run's region"
            return
        }
        // Shared parameters are only checked; others are checked as they are copied, in one
        // read (after a failure the session ends, so the student's overwritten values are never used).
        var parameters = p.parameters, state = p.state
        let finite = readsSharedParameters
            ? parameters.verifyMagnitudes(within: .greatestFiniteMagnitude) == nil
            : p.parameters.withUnsafeBufferPointer { MagnitudeScan.copyCheckingFinite($0, into: student.values) }
        guard finite, state.verifyMagnitudes(within: .greatestFiniteMagnitude) == nil else {
            failureText = "parameters of version \(p.version) hold non-finite values"
            return
        }
        _ = p.state.withUnsafeBufferPointer { student.state.update(fromContentsOf: $0) }
        version = p.version
    }

    /// The failure text of a task that cannot be computed.
    private struct TaskFailure: Error {
        let text: String
    }

    /// Computes `shards` of task `t` on `executor` (without the lock); `validated` shards were
    /// checked when their teacher ran ahead, and their logits are this worker's own, so they are
    /// computed as the teacher's logits would have been in one go, not checked as the coordinator's.
    private func compute(_ t: TaskPayload, shards tasks: [ShardTask], validated: Bool, on executor: ShardExecutor)
        -> Result<[ComputedShard], TaskFailure> {
        guard let step = Int(exactly: t.step), let taskVersion = Int(exactly: t.parameterVersion) else {
            return .failure(TaskFailure(text: "task for step \(t.step), parameter version \(t.parameterVersion): beyond \(Int.max)"))
        }
        var shards: [ComputedShard] = []
        for shard in tasks {
            if validated {
                shards.append(ComputedShard(result: executor.compute(validated: shard, step: step), step: step, version: taskVersion))
                continue
            }
            if let problem = problem(in: shard) { return .failure(TaskFailure(text: problem)) }
            do { shards.append(ComputedShard(result: try executor.run(shard, step: step), step: step, version: taskVersion)) } catch {
                return .failure(TaskFailure(text: "\(error)"))
            }
        }
        return .success(shards)
    }

    /// Why `shard` cannot be computed by this worker's models, or nil when it can.
    private func problem(in shard: ShardTask) -> String? {
        guard [shard.height, shard.width, shard.channels] == inputShape else {
            return "shard \(shard.shardIndex) holds [\(shard.height), \(shard.width), \(shard.channels)] images, the model takes \(inputShape)"
        }
        if let bad = shard.labels.firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
            return "shard \(shard.shardIndex) label \(bad) is \(shard.labels[bad]), the run has classes 0..<\(classes)"
        }
        return nil
    }
}
