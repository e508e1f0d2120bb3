/// The best validation accuracy of a run so far, the step it was reached at and the evaluations
/// since: what `best.safetensors`, `best_step` in `summary.json` and early stopping
/// (`train.early_stop_patience`) follow. Checkpoints carry it, so a resumed run goes on counting
/// where the stopped one was.
public struct ValidationProgress: Equatable, Sendable {
    /// The step of the best validation accuracy so far; nil before the first evaluation.
    public var bestStep: Int?
    /// The best validation accuracy so far (meaningless while ``bestStep`` is nil).
    public var bestAccuracy: Double
    /// Evaluations since the best one.
    public var evaluationsSinceBest: Int

    /// The progress of a run before its first evaluation.
    public init(bestStep: Int? = nil, bestAccuracy: Double = 0, evaluationsSinceBest: Int = 0) {
        self.bestStep = bestStep
        self.bestAccuracy = bestAccuracy
        self.evaluationsSinceBest = evaluationsSinceBest
    }

    /// Records the evaluation after `step` and returns whether it is the best so far: the first
    /// evaluation, or one strictly above the best (a tie keeps the earlier step).
    public mutating func record(accuracy: Double, step: Int) -> Bool {
        if bestStep == nil || accuracy > bestAccuracy {
            (bestStep, bestAccuracy, evaluationsSinceBest) = (step, accuracy, 0)
            return true
        }
        evaluationsSinceBest += 1
        return false
    }

    /// Whether `patience` evaluations in a row have gone by without a better accuracy (never for patience 0).
    public func exhausted(patience: Int) -> Bool { patience > 0 && evaluationsSinceBest >= patience }
}
