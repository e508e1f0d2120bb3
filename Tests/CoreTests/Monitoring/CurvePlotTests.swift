import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Core

/// The SVG of fixed curves: well-formed XML, one labelled line per run in each panel.
final class CurvePlotTests: XCTestCase {
    /// Collects the polylines (their labels) and texts of an SVG document.
    private final class Collector: NSObject, XMLParserDelegate {
        var polylines: [String] = []
        var texts: [String] = []
        var root: String?
        private var text: String?
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if root == nil { root = name }
            if name == "polyline" { polylines.append(attributes["data-label"] ?? "?") }
            if name == "text" { text = "" }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text? += string }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text", let t = text { texts.append(t) }
            text = nil
        }
    }

    private func parse(_ svg: String) throws -> Collector {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "") in\n\(svg)")
        return collector
    }

    private let runs = [
        RunCurves(label: "teacher", loss: [.init(step: 50, value: 2.1), .init(step: 100, value: 1.2), .init(step: 150, value: 0.8)],
                  accuracy: [.init(step: 75, value: 0.6), .init(step: 150, value: 0.82)], accuracySplit: "test"),
        RunCurves(label: "student <alone> & \"friends\"", loss: [.init(step: 50, value: 2.3), .init(step: 100, value: 1.9)],
                  accuracy: [.init(step: 100, value: 0.41)], accuracySplit: "test"),
    ]

    func testTwoRunsGiveOneLabelledLinePerRunPerPanel() throws {
        let svg = CurvePlot.svg(runs)
        let parsed = try parse(svg)
        XCTAssertEqual(parsed.root, "svg")
        XCTAssertEqual(parsed.polylines, ["teacher", "student <alone> & \"friends\"", "teacher", "student <alone> & \"friends\""])
        XCTAssertTrue(parsed.texts.contains("training loss"))
        XCTAssertTrue(parsed.texts.contains("test accuracy"))
        XCTAssertTrue(parsed.texts.contains("step"))
        // The legend names each run once; the accuracy axis is in percent.
        XCTAssertEqual(parsed.texts.filter { $0 == "teacher" }.count, 1)
        XCTAssertEqual(parsed.texts.filter { $0 == "student <alone> & \"friends\"" }.count, 1)
        XCTAssertTrue(parsed.texts.contains("80%"), "\(parsed.texts)")
    }

    func testAnEmptyRunStillMakesAValidPicture() throws {
        let parsed = try parse(CurvePlot.svg([RunCurves(label: "new", loss: [], accuracy: [], accuracySplit: "test")]))
        XCTAssertEqual(parsed.polylines, ["new", "new"])
    }

    func testTicksAreNiceAndCoverTheRange() {
        let ticks = AxisTicks(minimum: 0.41, maximum: 0.82)
        XCTAssertEqual(ticks.step, 0.1, accuracy: 1e-12)
        XCTAssertEqual(ticks.lower, 0.4, accuracy: 1e-12)
        XCTAssertEqual(ticks.upper, 0.9, accuracy: 1e-12)
        XCTAssertEqual(ticks.values.map { ticks.label($0, percent: true) }, ["40%", "50%", "60%", "70%", "80%", "90%"])
        XCTAssertEqual(AxisTicks(minimum: 0, maximum: 1873).values.map { AxisTicks(minimum: 0, maximum: 1873).label($0) },
                       ["0", "500", "1000", "1500", "2000"])
        let single = AxisTicks(minimum: 3, maximum: 3)
        XCTAssertTrue(single.lower < 3 && single.upper > 3 && single.values.count >= 2, "\(single)")
    }

    func testCurvesAreReadFromMetricsLines() throws {
        let folder = NSTemporaryDirectory() + "/distill-plot-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AtomicFile.write(Array("""
            {"kind":"step","step":50,"epoch":0,"loss":2.5,"hard_loss":2.5,"soft_loss":0,"train_accuracy":0.1}
            {"kind":"eval","step":100,"epoch":0,"test_accuracy":0.5,"test_loss":1.5}
            {"kind":"step","step":100,"epoch":0,"loss":1.5,"hard_loss":1.5,"soft_loss":0,"train_accuracy":0.3}

            """.utf8), to: folder + "/metrics.jsonl")
        let curves = try RunCurves.read(folder: folder, label: "a")
        XCTAssertEqual(curves.loss, [.init(step: 50, value: 2.5), .init(step: 100, value: 1.5)])
        XCTAssertEqual(curves.accuracy, [.init(step: 100, value: 0.5)])
        XCTAssertEqual(curves.accuracySplit, "test")
        try AtomicFile.write(Array("{\"kind\":\"step\",\"step\":1,\"loss\":1}\nnot json\n".utf8), to: folder + "/metrics.jsonl")
        XCTAssertThrowsError(try RunCurves.read(folder: folder, label: "a")) { error in
            guard case let .badMetricsLine(path, line, _)? = error as? MonitoringError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, folder + "/metrics.jsonl")
            XCTAssertEqual(line, 2)
        }
    }
}
