import ArgumentParser
import Core
import Foundation

/// `distill-coordinator status`: a run's `status.json` as a table, once or refreshed.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show where a run stands: step, ETA, loss, speed and its workers.",
        discussion: """
            Reads RUN/status.json, which a run rewrites every 2 s (workers are listed for distributed runs only).

            Examples:
              distill-coordinator status runs/demo/teacher
              distill-coordinator status runs/demo/teacher --watch
            """)

    @Argument(help: ArgumentHelp("The run folder (the train --out folder).", valueName: "run"))
    var folder: String

    @Flag(help: "Refresh every 2 s until the run ends (or Ctrl-C).")
    var watch = false

    func run() throws {
        try reportingErrors {
            let path = folder + "/" + RunStatus.fileName
            let clears = watch && isatty(STDOUT_FILENO) == 1
            while true {
                let status = try RunStatus.read(path)
                print((clears ? "\u{1B}[H\u{1B}[2J" : "") + "\(folder)\n" + status.table(now: Date()), terminator: "")
                guard watch, status.state == .running else { return }
                Thread.sleep(forTimeInterval: RunMonitor.statusInterval)
                if !clears { print() }
            }
        }
    }
}
