import ArgumentParser
import Core
import Foundation

/// `distill-coordinator compare`: one table of test accuracies from several run folders.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the test accuracy of several runs side by side.",
        discussion: """
            Each argument is a run folder (holding summary.json), optionally labelled as label=folder.

            Example:
              distill-coordinator compare teacher=runs/teacher alone=runs/alone kd=runs/kd
            """)

    @Argument(help: "Run folders, as folder or label=folder.")
    var runs: [String]

    func validate() throws {
        if runs.isEmpty { throw ValidationError("name at least one run folder, e.g. compare runs/demo/teacher") }
    }

    func run() throws {
        try reportingErrors {
            let rows = try runs.map(RunArgument.init).map { ($0.label, try TrainingSummary.read($0.folder + "/summary.json")) }
            let width = max(20, rows.map(\.0.count).max()! + 2)
            print("model".padding(toLength: width, withPad: " ", startingAt: 0) + "test accuracy   steps   samples/s")
            for (label, s) in rows {
                print(label.padding(toLength: width, withPad: " ", startingAt: 0)
                    + String(format: "%12.2f%%   %5d   %9.1f", 100 * s.testAccuracy, s.steps, s.samplesPerSecond))
            }
            if rows.count >= 3 {
                let gain = 100 * (rows[2].1.testAccuracy - rows[1].1.testAccuracy)
                print("\n\(rows[2].0) vs \(rows[1].0): " + String(format: "%+.2f points", gain))
            }
        }
    }
}
