import Foundation

/// The curves of one run read from its `metrics.jsonl`: training loss at each log point and
/// the held-out accuracy at each evaluation (validation when the run has it, else test).
public struct RunCurves: Equatable, Sendable {
    /// How the run is named in legends.
    public var label: String
    /// (step, mean loss) of the `"kind":"step"` lines.
    public var loss: [Point]
    /// (step, accuracy) of the `"kind":"eval"` lines.
    public var accuracy: [Point]
    /// `"validation"` or `"test"`: which accuracy ``accuracy`` holds.
    public var accuracySplit: String

    /// One (step, value) point.
    public struct Point: Equatable, Sendable {
        public var step: Double
        public var value: Double
        public init(step: Double, value: Double) {
            self.step = step
            self.value = value
        }
    }

    public init(label: String, loss: [Point], accuracy: [Point], accuracySplit: String) {
        self.label = label
        self.loss = loss
        self.accuracy = accuracy
        self.accuracySplit = accuracySplit
    }

    /// The fields a plot reads from a metrics line (other fields are ignored).
    private struct Line: Decodable {
        var kind: String
        var step: Int
        var loss: Double?
        var testAccuracy: Double?
        var validationAccuracy: Double?

        enum CodingKeys: String, CodingKey {
            case kind, step, loss
            case testAccuracy = "test_accuracy"
            case validationAccuracy = "validation_accuracy"
        }
    }

    /// Reads `RUN/metrics.jsonl` of the run folder `folder`.
    /// - Throws: ``MonitoringError/badMetricsLine(path:line:detail:)`` for a line that is not a
    ///   metrics record, `IOError` when the file cannot be read.
    public static func read(folder: String, label: String) throws -> RunCurves {
        let path = folder + "/metrics.jsonl"
        guard FileSystem.exists(path) else {
            throw MonitoringError.badMetricsLine(path: path, line: 0, detail: "no such file (is \(folder) a run folder?)")
        }
        let text = String(decoding: try AtomicFile.read(path), as: UTF8.self)
        var loss: [Point] = []
        var test: [Point] = []
        var validation: [Point] = []
        let decoder = JSONDecoder()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !raw.isEmpty {
            let line: Line
            do { line = try decoder.decode(Line.self, from: Data(raw.utf8)) } catch {
                throw MonitoringError.badMetricsLine(path: path, line: index + 1, detail: "not a metrics record (\(error))")
            }
            let step = Double(line.step)
            switch line.kind {
            case "step": if let value = line.loss, value.isFinite { loss.append(Point(step: step, value: value)) }
            case "eval":
                if let value = line.validationAccuracy { validation.append(Point(step: step, value: value)) }
                if let value = line.testAccuracy { test.append(Point(step: step, value: value)) }
            default: break
            }
        }
        return RunCurves(label: label, loss: loss, accuracy: validation.isEmpty ? test : validation,
                         accuracySplit: validation.isEmpty ? "test" : "validation")
    }
}
