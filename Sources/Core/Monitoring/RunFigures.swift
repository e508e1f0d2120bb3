/// The running figures of a run, accumulated step by step from what the ``Trainer`` tells its
/// observers: the current epoch's sums (for the progress line) and the session's pace (for the
/// ETA). A plain value, updated on the training thread.
public struct RunFigures: Sendable, Equatable {
    /// Global steps done and the run's total.
    public private(set) var step = 0
    public private(set) var totalSteps = 0
    public private(set) var stepsPerEpoch = 1
    /// The epoch of the last step (0-based).
    public private(set) var epoch = 0
    /// Sums over the current epoch's steps in this session.
    public private(set) var epochLoss = LossSums.zero
    public private(set) var epochSeconds = 0.0
    public private(set) var epochSteps = 0
    /// Steps and seconds of this session (a resumed run starts counting again).
    public private(set) var sessionSteps = 0
    public private(set) var sessionSeconds = 0.0
    public private(set) var learningRate: Float = 0
    /// The last evaluation, if any.
    public var lastEvaluation: EvaluationRecord?

    public init() {}

    /// Starts (or resumes) at global step `start` of `total`.
    public mutating func start(at start: Int, total: Int, stepsPerEpoch: Int) {
        step = start
        totalSteps = total
        self.stepsPerEpoch = max(stepsPerEpoch, 1)
        epoch = start / self.stepsPerEpoch
    }

    /// Adds one completed step.
    public mutating func record(_ done: CompletedStep) {
        if done.epoch != epoch {
            epochLoss = .zero
            epochSeconds = 0
            epochSteps = 0
        }
        step = done.step
        epoch = done.epoch
        epochLoss = epochLoss + done.loss
        epochSeconds += done.seconds
        epochSteps += 1
        sessionSteps += 1
        sessionSeconds += done.seconds
        learningRate = done.learningRate
    }

    /// Epochs in the run (the last may be partial).
    public var epochs: Int { (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch }
    /// Mean loss and train accuracy over the current epoch so far (0 before any step).
    public var epochMeanLoss: Double { epochLoss.count > 0 ? epochLoss.total / Double(epochLoss.count) : 0 }
    public var epochAccuracy: Double { epochLoss.count > 0 ? Double(epochLoss.correct) / Double(epochLoss.count) : 0 }
    /// Samples per second over the current epoch so far.
    public var samplesPerSecond: Double { epochSeconds > 0 ? Double(epochLoss.count) / epochSeconds : 0 }
    /// Seconds to the run's last step at this session's pace, nil before the first step.
    public var etaSeconds: Double? {
        sessionSteps > 0 ? sessionSeconds / Double(sessionSteps) * Double(max(totalSteps - step, 0)) : nil
    }

    /// The progress line's figures, with `workers` connected (nil: single-process).
    public func progress(workers: Int?) -> ProgressFigures {
        let first = epoch * stepsPerEpoch
        return ProgressFigures(epoch: epoch, epochs: epochs, stepInEpoch: step - first,
                               stepsInEpoch: min(stepsPerEpoch, totalSteps - first), seconds: epochSeconds,
                               loss: epochMeanLoss, accuracy: epochAccuracy, samplesPerSecond: samplesPerSecond,
                               learningRate: learningRate, workers: workers)
    }
}
