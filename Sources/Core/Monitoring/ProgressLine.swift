import Foundation

/// What one live progress line shows: where the epoch stands and its running figures.
public struct ProgressFigures: Sendable, Equatable {
    /// 0-based epoch and the run's number of epochs (the last may be partial).
    public var epoch: Int
    public var epochs: Int
    /// Steps of this epoch done, and the steps it has.
    public var stepInEpoch: Int
    public var stepsInEpoch: Int
    /// Seconds spent in this epoch's steps so far.
    public var seconds: Double
    /// Mean loss and train accuracy over this epoch's steps so far.
    public var loss: Double
    public var accuracy: Double
    public var samplesPerSecond: Double
    public var learningRate: Float
    /// Workers connected (distributed runs), nil in a single-process run.
    public var workers: Int?

    public init(epoch: Int, epochs: Int, stepInEpoch: Int, stepsInEpoch: Int, seconds: Double, loss: Double, accuracy: Double,
                samplesPerSecond: Double, learningRate: Float, workers: Int?) {
        self.epoch = epoch
        self.epochs = epochs
        self.stepInEpoch = stepInEpoch
        self.stepsInEpoch = stepsInEpoch
        self.seconds = seconds
        self.loss = loss
        self.accuracy = accuracy
        self.samplesPerSecond = samplesPerSecond
        self.learningRate = learningRate
        self.workers = workers
    }

    /// Whether the epoch's last step is done.
    public var isEpochEnd: Bool { stepInEpoch >= stepsInEpoch }

    /// Seconds left in this epoch at the pace so far.
    public var etaSeconds: Double {
        stepInEpoch > 0 ? seconds / Double(stepInEpoch) * Double(max(stepsInEpoch - stepInEpoch, 0)) : 0
    }
}

/// The live progress line of a run on a terminal, in the style of Keras' `Progbar`:
///
///     epoch 2/5   45/469 [==>...........................] ETA 12s  loss 0.4353  acc 87.11%  1234 samples/s  lr 0.001  workers 2
///
/// and at the epoch's end the elapsed time and time per step in place of the ETA. A pure
/// function of its figures, so its text is tested exactly.
public enum ProgressLine {
    /// Characters between the brackets.
    public static let barWidth = 30

    /// The line for `figures`, without carriage return or newline.
    public static func render(_ f: ProgressFigures) -> String {
        let digits = String(f.stepsInEpoch).count
        let count = String(repeating: " ", count: max(digits - String(f.stepInEpoch).count, 0)) + "\(f.stepInEpoch)/\(f.stepsInEpoch)"
        var parts = ["epoch \(f.epoch + 1)/\(f.epochs)", count + " " + bar(done: f.stepInEpoch, of: f.stepsInEpoch)]
        if f.isEpochEnd {
            parts.append(duration(f.seconds) + " " + perStep(f.seconds / Double(max(f.stepInEpoch, 1))))
        } else {
            parts.append("ETA " + duration(f.etaSeconds))
        }
        parts.append(String(format: "loss %.4f", f.loss))
        parts.append(String(format: "acc %.2f%%", 100 * f.accuracy))
        parts.append(String(format: "%.0f samples/s", f.samplesPerSecond))
        parts.append(String(format: "lr %.4g", Double(f.learningRate)))
        if let workers = f.workers { parts.append("workers \(workers)") }
        return parts.joined(separator: "  ")
    }

    /// `[====>.....]`: `=` for done steps, `>` at the head while the epoch runs.
    static func bar(done: Int, of total: Int) -> String {
        let filled = total > 0 ? min(barWidth * min(done, total) / total, barWidth) : barWidth
        let head = filled > 0 ? String(repeating: "=", count: filled - 1) + (done < total ? ">" : "=") : ""
        return "[" + head + String(repeating: ".", count: barWidth - filled) + "]"
    }

    /// `12s`, `3:07`, `1:02:03` (as Keras prints its ETA).
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60) }
        if s >= 60 { return String(format: "%d:%02d", s / 60, s % 60) }
        return "\(s)s"
    }

    /// `1s/step`, `12ms/step`, `850us/step`.
    static func perStep(_ seconds: Double) -> String {
        if seconds >= 1 { return String(format: "%.0fs/step", seconds) }
        if seconds >= 1e-3 { return String(format: "%.0fms/step", seconds * 1e3) }
        return String(format: "%.0fus/step", seconds * 1e6)
    }
}

/// How a run shows its progress (`train --progress`).
public enum ProgressMode: String, CaseIterable, Sendable {
    /// A live bar on a terminal, plain lines otherwise.
    case auto
    /// Always the live bar.
    case bar
    /// One plain line every `train.log_every` steps.
    case plain

    /// Whether to draw the live bar, given whether the output is a terminal.
    public func showsBar(outputIsTerminal: Bool) -> Bool {
        switch self {
        case .auto: return outputIsTerminal
        case .bar: return true
        case .plain: return false
        }
    }
}
