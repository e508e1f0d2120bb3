import Foundation

/// A minimal SVG writer: elements appended in drawing order, attribute values and text escaped
/// for XML, numbers written with two decimals. ``text`` is the finished document.
public struct SVGDocument {
    public let width: Double
    public let height: Double
    private var elements: [String] = []

    /// An empty `width` × `height` picture (user units = pixels) on a white background.
    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
        rect(x: 0, y: 0, width: width, height: height, fill: "#ffffff")
    }

    /// `&`, `<`, `>`, `"` and `'` as XML entities; control characters (not allowed in XML 1.0) dropped.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func number(_ x: Double) -> String { String(format: "%.2f", x) }

    private mutating func element(_ name: String, _ attributes: [(String, String)], content: String? = nil) {
        let attrs = attributes.map { " \($0.0)=\"\(SVGDocument.escape($0.1))\"" }.joined()
        elements.append(content.map { "<\(name)\(attrs)>\(SVGDocument.escape($0))</\(name)>" } ?? "<\(name)\(attrs)/>")
    }

    /// A filled rectangle.
    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil) {
        var attributes = [("x", Self.number(x)), ("y", Self.number(y)), ("width", Self.number(width)), ("height", Self.number(height)),
                          ("fill", fill)]
        if let stroke { attributes.append(("stroke", stroke)) }
        element("rect", attributes)
    }

    /// A straight line.
    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dashed: Bool = false) {
        var attributes = [("x1", Self.number(x1)), ("y1", Self.number(y1)), ("x2", Self.number(x2)), ("y2", Self.number(y2)),
                          ("stroke", stroke), ("stroke-width", Self.number(width))]
        if dashed { attributes.append(("stroke-dasharray", "3 3")) }
        element("line", attributes)
    }

    /// A connected line through `points`, labelled (for tools and tests) with `label`.
    public mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 2, label: String) {
        element("polyline", [("points", points.map { Self.number($0.x) + "," + Self.number($0.y) }.joined(separator: " ")),
                             ("fill", "none"), ("stroke", stroke), ("stroke-width", Self.number(width)),
                             ("stroke-linejoin", "round"), ("data-label", label)])
    }

    /// A small filled circle.
    public mutating func circle(x: Double, y: Double, radius: Double, fill: String) {
        element("circle", [("cx", Self.number(x)), ("cy", Self.number(y)), ("r", Self.number(radius)), ("fill", fill)])
    }

    /// Text anchored at (x, y): `anchor` is `start`, `middle` or `end`; `rotate` turns it about that point.
    public mutating func text(_ text: String, x: Double, y: Double, size: Double = 12, anchor: String = "start",
                              weight: String = "normal", rotate: Double = 0) {
        var attributes = [("x", Self.number(x)), ("y", Self.number(y)), ("font-size", Self.number(size)), ("text-anchor", anchor),
                          ("font-family", "Helvetica, Arial, sans-serif"), ("font-weight", weight), ("fill", "#222222")]
        if rotate != 0 { attributes.append(("transform", "rotate(\(Self.number(rotate)) \(Self.number(x)) \(Self.number(y)))")) }
        element("text", attributes, content: text)
    }

    /// The document.
    public var text: String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" "
            + "viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\">\n"
            + elements.joined(separator: "\n") + "\n</svg>\n"
    }
}
