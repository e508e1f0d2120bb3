/// Told by the ``Trainer`` what happens during a run, on the training thread: every completed
/// step, every log point (the figures of the `metrics.jsonl` step line), every evaluation and
/// the end. Observers must return quickly; they never change the run's results.
public protocol TrainingObserver: AnyObject {
    /// The run starts (or resumes) at global step `start` of `total`.
    func runStarted(start: Int, total: Int, stepsPerEpoch: Int)
    /// One optimiser step completed.
    func stepFinished(_ step: CompletedStep)
    /// A log point: the same figures as the `metrics.jsonl` step line.
    func logged(_ metrics: StepMetrics)
    /// A mid-run or final evaluation.
    func evaluated(_ evaluation: EvaluationRecord)
    /// The run ended after `step` global steps (called after the outputs are written).
    func runEnded(_ state: RunState, step: Int)
}

/// One completed optimiser step, as ``TrainingObserver/stepFinished(_:)`` sees it.
public struct CompletedStep: Sendable, Equatable {
    /// Global steps completed, including this one (1-based).
    public var step: Int
    /// The epoch (0-based) this step belongs to.
    public var epoch: Int
    /// The step's loss sums.
    public var loss: LossSums
    /// The learning rate the step used.
    public var learningRate: Float
    /// Wall-clock seconds the step took.
    public var seconds: Double

    public init(step: Int, epoch: Int, loss: LossSums, learningRate: Float, seconds: Double) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.learningRate = learningRate
        self.seconds = seconds
    }
}

/// Where a run stands (`status.json` key `state`).
public enum RunState: String, Codable, Sendable, Equatable {
    /// Still stepping.
    case running
    /// All steps done, outputs written.
    case finished
    /// Stopped early by a signal; outputs are consistent.
    case stopped
    /// A step diverged; the outputs hold the last good step.
    case diverged
    /// An error ended the run.
    case failed
}
