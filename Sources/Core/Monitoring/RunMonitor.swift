import Foundation

/// Watches a run for people and tools: it is the ``Trainer``'s observer and keeps the run's
/// figures (``RunFigures``), draws the live progress line (when given a ``ProgressDisplay``),
/// writes TensorBoard scalars at each log point and evaluation (`RUN/tensorboard/`), and
/// rewrites `RUN/status.json` at the start, every ``statusInterval`` seconds from its own
/// thread, and at the end. ``status(now:)`` is what `status.json` and `/metrics` show.
///
/// Monitoring never stops a run: a file that cannot be written is reported once through
/// ``report`` and then left alone.
public final class RunMonitor: TrainingObserver, @unchecked Sendable {
    /// The run folder.
    public let directory: String
    /// The coordinator's peer table (distributed runs), nil in a single-process run.
    public let board: WorkerBoard?
    private let display: ProgressDisplay?
    private let lock = NSCondition()
    private var figures = RunFigures()
    private var state = RunState.running
    private var tensorBoard: TensorBoardWriter?
    private var statusThread: Thread?
    private var statusFailed = false
    /// Serialises status writes, so the thread's last write cannot land after the final one.
    private let writeLock = NSLock()
    /// Receives warnings (a monitoring file that cannot be written).
    public var report: (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }
    /// Seconds between two rewrites of `status.json` while the run goes on.
    public static let statusInterval = 2.0

    /// A monitor of the run writing into `directory`; `board` is the coordinator's (nil for a
    /// single-process run), `display` the live progress line (nil: plain log lines).
    /// - Throws: ``MonitoringError/cannotWrite(path:detail:)`` when the TensorBoard file cannot be created.
    public init(directory: String, board: WorkerBoard?, display: ProgressDisplay?) throws {
        self.directory = directory
        self.board = board
        self.display = display
        tensorBoard = try TensorBoardWriter(directory: directory + "/" + TensorBoardWriter.folderName)
    }

    deinit { stopStatusThread() }

    /// The path of `status.json`.
    public var statusPath: String { directory + "/" + RunStatus.fileName }

    // MARK: TrainingObserver

    public func runStarted(start: Int, total: Int, stepsPerEpoch: Int) {
        lock.lock()
        figures.start(at: start, total: total, stepsPerEpoch: stepsPerEpoch)
        state = .running
        lock.unlock()
        writeStatus()
        startStatusThread()
    }

    public func stepFinished(_ step: CompletedStep) {
        lock.lock()
        figures.record(step)
        let progress = figures.progress(workers: board?.connected)
        lock.unlock()
        display?.show(progress)
    }

    public func logged(_ metrics: StepMetrics) {
        let n = Double(max(metrics.loss.count, 1))
        var scalars: [(tag: String, value: Double)] = [
            ("loss/total", metrics.loss.total / n), ("loss/hard", metrics.loss.hard / n), ("loss/soft", metrics.loss.soft / n),
            ("accuracy/train", Double(metrics.loss.correct) / n), ("learning_rate", Double(metrics.learningRate)),
            ("samples_per_second", metrics.samplesPerSecond),
        ]
        if let board {
            let snapshot = board.snapshot()
            scalars += [("workers/connected", Double(snapshot.workers.count)), ("workers/rejected_results", Double(snapshot.rejectedResults))]
        }
        writeScalars(step: metrics.step, scalars)
    }

    public func evaluated(_ evaluation: EvaluationRecord) {
        lock.lock()
        figures.lastEvaluation = evaluation
        lock.unlock()
        writeScalars(step: evaluation.step, [("accuracy/\(evaluation.split)", evaluation.accuracy), ("loss/\(evaluation.split)", evaluation.loss)])
    }

    public func runEnded(_ state: RunState, step: Int) {
        end(state)
    }

    /// Records that the run ended with an error (the trainer threw) and writes the final status.
    public func runFailed() {
        end(.failed)
    }

    private func end(_ final: RunState) {
        stopStatusThread()
        lock.lock()
        state = final
        lock.unlock()
        display?.finish()
        writeStatus()
    }

    // MARK: Status

    /// The run's status now.
    public func status(now: Date = Date()) -> RunStatus {
        let (workers, rejected) = board?.snapshot() ?? ([], 0)
        let clock = MonotonicClock.now()
        lock.lock()
        defer { lock.unlock() }
        let f = figures
        let running = f.sessionSteps > 0
        return RunStatus(
            state: state, step: f.step, steps: f.totalSteps, epoch: f.epoch,
            etaSeconds: state == .running ? f.etaSeconds : nil,
            loss: running ? f.epochMeanLoss : nil, trainAccuracy: running ? f.epochAccuracy : nil,
            samplesPerSecond: running ? f.samplesPerSecond : nil, learningRate: running ? Double(f.learningRate) : nil,
            evaluation: f.lastEvaluation.map { RunStatus.Evaluation(split: $0.split, step: $0.step, accuracy: $0.accuracy) },
            distributed: board != nil, rejectedResults: rejected,
            workers: workers.map {
                RunStatus.Worker(name: $0.name, address: $0.address, shardsDone: $0.shardsDone, meanShardSeconds: $0.meanShardSeconds,
                                 lastHeardSecondsAgo: max(clock - $0.lastHeard, 0))
            },
            updatedAt: now)
    }

    /// Rewrites `status.json` atomically (a failure is reported once); with `onlyWhileRunning`
    /// nothing is written once the run has ended.
    public func writeStatus(onlyWhileRunning: Bool = false) {
        writeLock.lock()
        defer { writeLock.unlock() }
        let current = status()
        if onlyWhileRunning && current.state != .running { return }
        do { try AtomicFile.write(try current.encoded(), to: statusPath) } catch {
            lock.lock()
            let first = !statusFailed
            statusFailed = true
            lock.unlock()
            if first { report("cannot write \(statusPath): \(error); the run goes on without it") }
        }
    }

    private func startStatusThread() {
        lock.lock()
        defer { lock.unlock() }
        guard statusThread == nil else { return }
        let thread = Thread { [weak self] in self?.statusLoop() }
        thread.name = "distill-status"
        statusThread = thread
        thread.start()
    }

    /// Rewrites the status every ``statusInterval`` seconds until the run ends.
    private func statusLoop() {
        lock.lock()
        while state == .running, statusThread != nil {
            if !lock.wait(until: Date(timeIntervalSinceNow: RunMonitor.statusInterval)), state == .running, statusThread != nil {
                lock.unlock()
                writeStatus(onlyWhileRunning: true)
                lock.lock()
            }
        }
        lock.unlock()
    }

    private func stopStatusThread() {
        lock.lock()
        statusThread = nil
        lock.broadcast()
        lock.unlock()
    }

    // MARK: TensorBoard

    private func writeScalars(step: Int, _ scalars: [(tag: String, value: Double)]) {
        guard let writer = tensorBoard else { return }
        do { try writer.write(step: step, scalars: scalars) } catch {
            tensorBoard = nil
            report("\(error); TensorBoard events stop here, the run goes on")
        }
    }
}
