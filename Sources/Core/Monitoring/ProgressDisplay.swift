import Foundation

/// The live progress line on a terminal (``ProgressLine``): redrawn in place with `\r` at most
/// ten times a second and at each epoch's last step, which ends it with a newline. Other lines
/// (evaluations, worker events) go through ``printLine(_:)``, which clears the bar first; the
/// next step redraws it below them.
public final class ProgressDisplay: @unchecked Sendable {
    private let lock = NSLock()
    private var drawn = false
    private var lastDraw = -Double.infinity
    /// Seconds between two redraws within an epoch.
    public static let redrawInterval = 0.1

    public init() {}

    /// Draws `figures` unless the last redraw was under ``redrawInterval`` ago (an epoch's last
    /// step is always drawn and ends the line).
    public func show(_ figures: ProgressFigures) {
        let now = MonotonicClock.now()
        lock.lock()
        defer { lock.unlock() }
        guard figures.isEpochEnd || now - lastDraw >= ProgressDisplay.redrawInterval else { return }
        lastDraw = now
        write("\r" + ProgressLine.render(figures) + "\u{1B}[K" + (figures.isEpochEnd ? "\n" : ""))
        drawn = !figures.isEpochEnd
    }

    /// Prints `line` on a line of its own, above the progress line.
    public func printLine(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        write((drawn ? "\r\u{1B}[K" : "") + line + "\n")
        drawn = false
        lastDraw = -Double.infinity
    }

    /// Ends a progress line left open (a run stopped mid-epoch).
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { write("\n") }
        drawn = false
    }

    private func write(_ text: String) {
        fputs(text, stdout)
        fflush(stdout)
    }
}
