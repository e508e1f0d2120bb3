import Glibc

/// The learning rate as a function of the number of completed optimiser steps.
public enum LearningRateSchedule: Codable, Sendable, Equatable {
    /// The same rate at every step.
    case constant(rate: Float)
    /// `rate · gamma^⌊step / every⌋`; `every` must be positive.
    case step(rate: Float, every: Int, gamma: Float)
    /// Linear warm-up over the first `warmupSteps` steps (`rate·(step+1)/warmupSteps`, so from
    /// `rate/warmupSteps` up to `rate`), then half-cosine decay from `rate` to `minimumRate`
    /// reached at step `totalSteps` and held after it.
    case cosine(rate: Float, warmupSteps: Int, totalSteps: Int, minimumRate: Float)

    /// The rate for the update that follows `step` completed steps (0 for the first update).
    public func rate(atStep step: Int) -> Float {
        precondition(step >= 0, "learning-rate schedule: negative step \(step)")
        switch self {
        case let .constant(rate):
            return rate
        case let .step(rate, every, gamma):
            precondition(every > 0, "learning-rate schedule: step interval must be positive, got \(every)")
            return rate * Float(pow(Double(gamma), Double(step / every)))
        case let .cosine(rate, warmupSteps, totalSteps, minimumRate):
            if step < warmupSteps { return rate * Float(step + 1) / Float(warmupSteps) }
            let decaySteps = max(totalSteps - warmupSteps, 1)
            let progress = min(Double(step - warmupSteps) / Double(decaySteps), 1)
            return minimumRate + (rate - minimumRate) * Float(0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
