import Foundation

/// One shard computed by a worker, with the step and parameter version it was computed for.
struct ComputedShard {
    var result: ShardResult
    var step: Int
    var version: Int
}

/// A worker's compute thread: applies parameter updates and runs shard tasks strictly in
/// the order they arrived, so a task always sees the parameters sent before it, while the
/// socket thread stays free for heartbeats.
final class ComputeThread: @unchecked Sendable {
    enum Item {
        case parameters(ParametersPayload)
        case task(TaskPayload)
    }

    private let condition = NSCondition()
    private var queue: [Item] = []
    private var done: [ComputedShard] = []
    private var failureText: String?
    private var finished = false
    private let executor: ShardExecutor
    private let student: ModelParameters
    private let inputShape: [Int]
    private let classes: Int
    private var version: UInt64?
    private let teacher: ModelParameters?
    /// SHA-256 of the frozen teacher as received in the welcome (empty without a teacher).
    let teacherSHA256: String
    /// One line describing the run, for the worker's log.
    let summary: String

    /// Builds the models of the welcome (whose run description the decoder has range-checked).
    /// - Throws: ``WorkerExit/badMessage(_:)`` when the teacher's weights do not fit its spec or
    ///   are not finite, or a model error when a spec cannot be built.
    init(welcome: WelcomePayload) throws {
        let run = welcome.run
        let studentNetwork = try Network(spec: run.studentSpec, inputShape: run.inputShape, classes: run.classes)
        student = ModelParameters(layout: studentNetwork.layout)
        var teacher: (ModelSpec, ModelParameters)?
        if let spec = run.teacherSpec {
            let network = try Network(spec: spec, inputShape: run.inputShape, classes: run.classes)
            let parameters = ModelParameters(layout: network.layout)
            guard welcome.teacherParameters.values.count == network.layout.parameterCount,
                  welcome.teacherState.values.count == network.layout.stateCount else {
                throw WorkerExit.badMessage("teacher weights hold \(welcome.teacherParameters.values.count) + \(welcome.teacherState.values.count) values, "
                    + "\(spec.name) needs \(network.layout.parameterCount) + \(network.layout.stateCount)")
            }
            guard welcome.teacherParameters.values.allSatisfy(\.isFinite), welcome.teacherState.values.allSatisfy(\.isFinite) else {
                throw WorkerExit.badMessage("teacher weights hold non-finite values")
            }
            parameters.values.baseAddress!.update(from: welcome.teacherParameters.values, count: network.layout.parameterCount)
            parameters.state.baseAddress!.update(from: welcome.teacherState.values, count: network.layout.stateCount)
            teacher = (spec, parameters)
        }
        self.teacher = teacher?.1
        teacherSHA256 = teacher?.1.sha256() ?? ""
        executor = try ShardExecutor(studentSpec: run.studentSpec, studentParameters: student, teacher: teacher,
                                     inputShape: run.inputShape, classes: run.classes, objective: run.objective,
                                     normalization: run.normalization, seed: run.seed)
        inputShape = run.inputShape
        classes = run.classes
        summary = "\(run.studentSpec.name) (\(studentNetwork.layout.parameterCount) parameters)"
            + (run.teacherSpec.map { " distilled from \($0.name)" } ?? "") + ", input \(run.inputShape), \(run.classes) classes"
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "distill-compute"
        thread.start()
    }

    /// Whether the frozen teacher still hashes to what the welcome delivered (true without a teacher).
    var teacherUnchanged: Bool { teacher.map { $0.sha256() == teacherSHA256 } ?? true }

    /// Queues a parameter update or a task.
    func enqueue(_ item: Item) {
        condition.lock()
        queue.append(item)
        condition.signal()
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

    /// Stops the thread after the item it is working on.
    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        BLAS.setThreads(1)
        while true {
            condition.lock()
            while queue.isEmpty && !finished { condition.wait() }
            if finished { condition.unlock(); return }
            let item = queue.removeFirst()
            condition.unlock()
            switch item {
            case let .parameters(p):
                guard p.parameters.count == student.layout.parameterCount, p.state.count == student.layout.stateCount else {
                    fail("parameters hold \(p.parameters.count) + \(p.state.count) values, the student needs "
                        + "\(student.layout.parameterCount) + \(student.layout.stateCount)")
                    return
                }
                guard p.parameters.allSatisfy(\.isFinite), p.state.allSatisfy(\.isFinite) else {
                    fail("parameters of version \(p.version) hold non-finite values")
                    return
                }
                student.values.baseAddress!.update(from: p.parameters, count: p.parameters.count)
                student.state.baseAddress!.update(from: p.state, count: p.state.count)
                version = p.version
            case let .task(t):
                guard t.parameterVersion == version else {
                    fail("task for parameter version \(t.parameterVersion) arrived before its parameters (have \(version.map(String.init) ?? "none"))")
                    return
                }
                guard let step = Int(exactly: t.step), let taskVersion = Int(exactly: t.parameterVersion) else {
                    fail("task for step \(t.step), parameter version \(t.parameterVersion): beyond \(Int.max)")
                    return
                }
                for shard in t.shards {
                    if let problem = problem(in: shard) {
                        fail(problem)
                        return
                    }
                    let result: ShardResult
                    do { result = try executor.run(shard, step: step) } catch {
                        fail("\(error)")
                        return
                    }
                    condition.lock()
                    done.append(ComputedShard(result: result, step: step, version: taskVersion))
                    condition.unlock()
                }
            }
        }
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

    private func fail(_ text: String) {
        condition.lock()
        failureText = text
        condition.unlock()
    }
}
