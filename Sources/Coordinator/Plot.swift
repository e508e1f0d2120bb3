import ArgumentParser
import Core
import Foundation

/// `distill-coordinator plot`: loss and accuracy curves of runs as one SVG file.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the loss and accuracy curves of one or more runs as an SVG picture.",
        discussion: """
            Each argument is a run folder (holding metrics.jsonl), optionally labelled as label=folder, as for compare.

            Examples:
              distill-coordinator plot runs/demo/distilled --out curves.svg
              distill-coordinator plot teacher=runs/demo/teacher \\
                  distilled=runs/demo/distilled --out curves.svg
            """)

    @Argument(help: "Run folders, as folder or label=folder.")
    var runs: [String]

    @Option(help: "The SVG file to write.")
    var out: String

    func validate() throws {
        if runs.isEmpty { throw ValidationError("name at least one run folder, e.g. plot runs/demo/teacher --out curves.svg") }
        if out.isEmpty { throw ValidationError("--out needs a file name, e.g. --out curves.svg") }
    }

    func run() throws {
        try reportingErrors {
            let curves = try runs.map(RunArgument.init).map { try RunCurves.read(folder: $0.folder, label: $0.label) }
            try AtomicFile.write(Array(CurvePlot.svg(curves).utf8), to: out)
            print("wrote \(out) (\(curves.count) run\(curves.count == 1 ? "" : "s"))")
        }
    }
}
