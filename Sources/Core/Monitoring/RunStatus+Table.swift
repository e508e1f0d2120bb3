import Foundation

extension RunStatus {
    /// The status as `distill-coordinator status` prints it: the run's figures, then one row
    /// per worker. `now` dates the "updated … ago" line (a running status not rewritten for
    /// 10 s or more is flagged: the run may have died).
    public func table(now: Date) -> String {
        func figure(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "-" }
        let age = now.timeIntervalSince(updatedAt)
        let percent = steps > 0 ? String(format: " (%.1f%%)", 100 * Double(step) / Double(steps)) : ""
        var lines = [
            "state          \(state.rawValue)",
            "step           \(step)/\(steps)\(percent), epoch \(epoch + 1)",
            "eta            \(etaSeconds.map { ProgressLine.duration($0) } ?? "-")",
            "loss           \(figure(loss, "%.4f"))",
            "train accuracy \(figure(trainAccuracy.map { $0 * 100 }, "%.2f%%"))",
            "samples/s      \(figure(samplesPerSecond, "%.1f"))",
            "learning rate  \(figure(learningRate, "%.4g"))",
        ]
        if let evaluation {
            lines.append("\(evaluation.split) accuracy".padding(toLength: 15, withPad: " ", startingAt: 0)
                + String(format: "%.2f%% at step %d", evaluation.accuracy * 100, evaluation.step))
        }
        lines.append("updated        " + String(format: "%.0f s ago", max(age, 0))
            + (state == .running && age >= 10 ? " (not rewritten since: the run may have stopped)" : ""))
        guard distributed else {
            lines.append("workers        none (single-process run: shards are computed on this process's threads)")
            return lines.joined(separator: "\n") + "\n"
        }
        lines.append("workers        \(workers.count) connected, \(rejectedResults) results rejected")
        if !workers.isEmpty {
            let rows = [["worker", "address", "shards done", "mean shard", "last heard"]] + workers.map {
                [$0.name.printable, $0.address.printable, String($0.shardsDone), $0.meanShardSeconds.map { String(format: "%.1f ms", $0 * 1e3) } ?? "-",
                 String(format: "%.1f s ago", $0.lastHeardSecondsAgo)]
            }
            let widths = (0..<5).map { column in rows.map { $0[column].count }.max()! }
            lines.append("")
            for row in rows {
                lines.append(zip(row, widths).enumerated().map { column, cell in
                    let pad = String(repeating: " ", count: cell.1 - cell.0.count)
                    // Names and addresses left-aligned, figures right-aligned.
                    return column < 2 ? cell.0 + pad : pad + cell.0
                }.joined(separator: "  ").trimmingTrailingSpaces())
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// The text with control characters (a worker chooses its own name) shown as `?`, so a
    /// name cannot move the cursor or recolour the terminal.
    fileprivate var printable: String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }

    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
