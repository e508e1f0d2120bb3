/// Why a data set file could not be read. Every case names the file and, where it helps,
/// the byte offset or record; offsets inside `.gz` files count decompressed bytes.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// The file ends at byte `offset` but needs `expected` bytes: per record when `record`
    /// is set (the record that is cut short, counting from 0), otherwise in total.
    case truncated(file: String, offset: Int, expected: Int, record: Int?)
    /// The leading magic bytes are not those of the expected format.
    case badMagic(file: String, found: [UInt8], expected: [UInt8])
    /// Record `record` carries a label outside `0..<classes`.
    case labelOutOfRange(file: String, record: Int, label: Int, classes: Int)
    /// Dimensions or element counts that do not fit together.
    case shapeMismatch(file: String, detail: String)
    /// A valid file using a feature the reader does not support (element type, layout, ...).
    case unsupported(file: String, detail: String)
    /// Float pixel values that are neither in [0, 1] nor in [0, 255].
    case pixelRange(file: String, min: Float, max: Float)
    /// The file could not be opened or read (`message` is the system's reason).
    case io(file: String, message: String)
    /// A gzip stream that zlib rejects, at compressed byte `offset`.
    case gzip(file: String, offset: Int, message: String)
    /// An image file and a label file that hold different numbers of records.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// A split (`training` or `test`) read from `file` (a file or folder) holds no images.
    case empty(file: String, split: String)
    /// Normalisation statistics from `source` (a model file, a run description) that cannot be
    /// applied: channel counts that differ, or a mean or standard deviation that is not finite
    /// or a standard deviation ≤ 0.
    case badNormalization(source: String, detail: String)

    public var description: String {
        switch self {
        case let .truncated(file, offset, expected, record?):
            return "\(file): record \(record) truncated at byte \(grouped(offset)) (need \(grouped(expected)) bytes per record)"
        case let .truncated(file, offset, expected, nil):
            return "\(file): truncated at byte \(grouped(offset)) (need \(grouped(expected)) bytes)"
        case let .badMagic(file, found, expected):
            return "\(file): bad magic \(hex(found)) (expected \(hex(expected)))"
        case let .labelOutOfRange(file, record, label, classes):
            return "\(file): record \(grouped(record)) has label \(label), outside 0..<\(classes)"
        case let .shapeMismatch(file, detail):
            return "\(file): shape mismatch: \(detail)"
        case let .unsupported(file, detail):
            return "\(file): unsupported: \(detail)"
        case let .pixelRange(file, min, max):
            return "\(file): float pixels span [\(min), \(max)], expected values in [0, 1] or [0, 255]"
        case let .io(file, message):
            return "\(file): \(message)"
        case let .gzip(file, offset, message):
            return "\(file): gzip error at compressed byte \(grouped(offset)): \(message)"
        case let .countMismatch(images, imageCount, labels, labelCount):
            return "\(images) holds \(grouped(imageCount)) images but \(labels) holds \(grouped(labelCount)) labels"
        case let .empty(file, split):
            return "\(file): the \(split) split holds no images"
        case let .badNormalization(source, detail):
            return "\(source): invalid normalisation: \(detail)"
        }
    }
}

/// `n` with thousands separators: 52244 → "52,244".
private func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return n < 0 ? "-" + out : out
}

/// Bytes as `0x…` hex: [0, 0, 8, 3] → "0x00000803".
private func hex(_ bytes: [UInt8]) -> String {
    let table = Array("0123456789abcdef")
    return "0x" + String(bytes.flatMap { [table[Int($0 >> 4)], table[Int($0 & 15)]] })
}
