import Foundation

/// The live progress line on a terminal (``ProgressLine``): redrawn in place with `\r` at most
/// ten times a second and at each epoch's last step, which ends it with a newline. Other lines
/// (evaluations, worker events) go through ``printLine(_:)``, which clears the bar first; the
/// next step redraws it below them.
public final class ProgressDisplay: @unchecked Sendable {
    private let lock = NSLock()
    private var drawn = false
    private var lastDraw = -Double.infinity
    private let columns: Int?
    /// Seconds between two redraws within an epoch.
    public static let redrawInterval = 0.1

    /// A display on standard output, whose lines are cut to `columns` characters (the
    /// terminal's width: a longer line would wrap and could not be redrawn in place).
    public init(columns: Int? = ProgressDisplay.terminalColumns()) {
        self.columns = columns
    }

    /// The width of the terminal on standard output, or nil when it is not one.
    public static func terminalColumns() -> Int? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// Draws `figures` unless the last redraw was under ``redrawInterval`` ago (an epoch's last
    /// step is always drawn and ends the line).
    public func show(_ figures: ProgressFigures) {
        let now = MonotonicClock.now()
        lock.lock()
        defer { lock.unlock() }
        guard figures.isEpochEnd || now - lastDraw >= ProgressDisplay.redrawInterval else { return }
        lastDraw = now
        let line = ProgressLine.render(figures)
        let shown = columns.map { String(line.prefix(max($0 - 1, 0))) } ?? line
        write("\r" + shown + "\u{1B}[K" + (figures.isEpochEnd ? "\n" : ""))
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
