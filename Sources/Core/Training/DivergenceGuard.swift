import Foundation

/// Decides, before the optimiser runs, whether a reduced step may be applied.
///
/// A step whose mean loss or mean gradient holds a non-finite value is always refused, so such a
/// value never reaches the parameters or the optimiser state (also with the guard off). With the
/// guard on (`train.divergence_guard`, the default), a step whose mean loss exceeds
/// `train.divergence_factor` × the median mean loss of the steps accepted so far is refused too.
/// A refused step throws ``Divergence``; the trainer then stops and keeps the parameters of the
/// last accepted step. The median restarts when a run is resumed.
public struct DivergenceGuard {
    /// Whether the loss-ratio check runs (non-finite checks always do).
    public let isEnabled: Bool
    /// Loss / median-loss ratio above which a step is refused.
    public let factor: Double
    /// Mean losses of the accepted steps.
    private var losses = RunningMedian()

    public init(isEnabled: Bool, factor: Double) {
        self.isEnabled = isEnabled
        self.factor = factor
    }

    /// The guard a configuration asks for (`train.divergence_guard`, `train.divergence_factor`).
    public init(config: RunConfig) {
        self.init(isEnabled: config.bool("train.divergence_guard"), factor: config.double("train.divergence_factor"))
    }

    /// The median mean loss of the accepted steps, or nil before the first.
    public var median: Double? { losses.median }

    /// Accepts step `step` (1-based) with mean loss `loss` and a mean gradient that is finite or
    /// not (its L2 norm is, or ``StepReducer/meanIsFinite(_:)`` holds), recording the loss, or
    /// throws ``Divergence`` without recording it.
    public mutating func check(step: Int, loss: Double, gradientIsFinite: Bool) throws {
        func refuse(_ cause: Divergence.Cause) -> Divergence {
            Divergence(step: step, loss: loss, cause: cause, stopReason: isEnabled ? .diverged : .nonFinite)
        }
        guard loss.isFinite else { throw refuse(.nonFiniteLoss) }
        guard gradientIsFinite else { throw refuse(.nonFiniteGradient) }
        if isEnabled, let median, loss > factor * median { throw refuse(.lossAboveMedian(median: median, factor: factor)) }
        losses.add(loss)
    }
}

/// A step refused by ``DivergenceGuard``: the run stops before the optimiser applies it.
public struct Divergence: Error, CustomStringConvertible, Equatable {
    /// What was wrong with the step.
    public enum Cause: Equatable {
        case nonFiniteLoss
        case nonFiniteGradient
        case lossAboveMedian(median: Double, factor: Double)
    }

    /// The exit status of `distill-coordinator train` for a run stopped this way.
    public static let exitStatus: Int32 = 3

    /// The refused step, 1-based as in `metrics.jsonl`; the parameters kept are those after step `step − 1`.
    public let step: Int
    /// Its mean loss.
    public let loss: Double
    public let cause: Cause
    /// `diverged` with the guard on, `non_finite` with it off.
    public let stopReason: StopReason

    public var description: String {
        let what: String
        switch cause {
        case .nonFiniteLoss: what = "its loss is \(loss)"
        case .nonFiniteGradient: what = "its mean gradient holds a non-finite value (loss \(shortNumber(loss)))"
        case let .lossAboveMedian(median, factor):
            what = "its loss \(shortNumber(loss)) is more than \(shortNumber(factor)) × the median loss \(shortNumber(median)) of the steps so far"
        }
        return "training diverged at step \(step): \(what). The step was not applied; the outputs hold the parameters after step \(step - 1). "
            + "Try a lower optimizer.learning_rate, gradient clipping (optimizer.clip_norm, e.g. 1), a warm-up "
            + "(optimizer.schedule: cosine with optimizer.warmup_steps) or another initialisation (model.init, e.g. torch_default)."
    }
}

/// Why a run ended: `stopped_reason` in `summary.json`.
public enum StopReason: String, Codable, Sendable {
    /// Every step ran.
    case completed
    /// A signal (SIGINT, SIGTERM) stopped it after a step.
    case interrupted
    /// The divergence guard refused a step (non-finite or exploding loss, non-finite gradient).
    case diverged
    /// With the guard off, a step with a non-finite loss or gradient was refused.
    case nonFinite = "non_finite"
    /// `train.early_stop_patience` evaluations in a row brought no better validation accuracy.
    case earlyStopped = "early_stopped"
}

private func shortNumber(_ x: Double) -> String {
    (abs(x) >= 1e5 || (abs(x) < 1e-3 && x != 0)) ? String(format: "%.3g", x) : String(format: "%.4g", x)
}
