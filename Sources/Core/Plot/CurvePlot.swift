/// Loss and accuracy curves of several runs as one SVG picture (`distill-coordinator plot`):
/// two panels side by side, training loss against step and held-out accuracy against step,
/// one coloured line per run in each (labelled with the run's label), axes with ticks, and a
/// legend under the panels.
public enum CurvePlot {
    /// Line colours, one per run in order (Tableau 10; runs beyond ten reuse them).
    public static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    private static let panelWidth = 440.0
    private static let panelHeight = 300.0
    private static let margin = (left: 64.0, right: 20.0, top: 36.0, bottom: 46.0)

    /// The SVG text for `runs`.
    public static func svg(_ runs: [RunCurves]) -> String {
        let legendRows = (runs.count + 2) / 3
        let width = 2 * (margin.left + panelWidth + margin.right)
        let height = margin.top + panelHeight + margin.bottom + 24 * Double(legendRows) + 12
        var document = SVGDocument(width: width, height: height)
        let splits = Set(runs.map(\.accuracySplit))
        let accuracyTitle = (splits.count == 1 ? splits.first! : "held-out") + " accuracy"
        panel(&document, x: margin.left, title: "training loss", runs: runs.map(\.loss), labels: runs.map(\.label), percent: false)
        panel(&document, x: width / 2 + margin.left, title: accuracyTitle, runs: runs.map(\.accuracy), labels: runs.map(\.label), percent: true)
        legend(&document, runs.map(\.label), top: margin.top + panelHeight + margin.bottom, width: width)
        return document.text
    }

    /// One panel whose plot area starts at `x`.
    private static func panel(_ d: inout SVGDocument, x: Double, title: String, runs: [[RunCurves.Point]], labels: [String], percent: Bool) {
        let top = margin.top
        let all = runs.flatMap { $0 }
        let xTicks = AxisTicks(minimum: 0, maximum: all.map(\.step).max() ?? 1)
        let yTicks = AxisTicks(minimum: all.map(\.value).min() ?? 0, maximum: all.map(\.value).max() ?? 1)
        func px(_ step: Double) -> Double { x + (step - xTicks.lower) / (xTicks.upper - xTicks.lower) * panelWidth }
        func py(_ value: Double) -> Double { top + panelHeight - (value - yTicks.lower) / (yTicks.upper - yTicks.lower) * panelHeight }

        d.text(title, x: x + panelWidth / 2, y: top - 14, size: 15, anchor: "middle", weight: "bold")
        for value in yTicks.values {
            d.line(x1: x, y1: py(value), x2: x + panelWidth, y2: py(value), stroke: "#e6e6e6")
            d.line(x1: x - 5, y1: py(value), x2: x, y2: py(value), stroke: "#444444")
            d.text(yTicks.label(value, percent: percent), x: x - 8, y: py(value) + 4, size: 11, anchor: "end")
        }
        for value in xTicks.values {
            d.line(x1: px(value), y1: top + panelHeight, x2: px(value), y2: top + panelHeight + 5, stroke: "#444444")
            d.text(xTicks.label(value), x: px(value), y: top + panelHeight + 19, size: 11, anchor: "middle")
        }
        d.line(x1: x, y1: top, x2: x, y2: top + panelHeight, stroke: "#444444")
        d.line(x1: x, y1: top + panelHeight, x2: x + panelWidth, y2: top + panelHeight, stroke: "#444444")
        d.text("step", x: x + panelWidth / 2, y: top + panelHeight + 38, size: 12, anchor: "middle")
        for (index, points) in runs.enumerated() {
            let colour = palette[index % palette.count]
            d.polyline(points.map { (px($0.step), py($0.value)) }, stroke: colour, label: labels[index])
            if points.count <= 40 { for point in points { d.circle(x: px(point.step), y: py(point.value), radius: 2.5, fill: colour) } }
        }
    }

    /// The legend: a short line in each run's colour and its label, three to a row.
    private static func legend(_ d: inout SVGDocument, _ labels: [String], top: Double, width: Double) {
        let column = width / 3
        for (index, label) in labels.enumerated() {
            let x = margin.left + column * Double(index % 3)
            let y = top + 24 * Double(index / 3) + 10
            d.line(x1: x, y1: y - 4, x2: x + 28, y2: y - 4, stroke: palette[index % palette.count], width: 3)
            d.text(label, x: x + 36, y: y, size: 13)
        }
    }
}
