/// One NumPy `.npy` array (format versions 1, 2 and 3): element type, shape and raw little-endian data.
///
/// File layout: magic `\x93NUMPY`, major and minor version bytes, header length (UInt16 LE in
/// v1, UInt32 LE in v2/v3), then a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }`, then the C-order data.
struct NPYArray {
    /// Element types Distill accepts, named by their NumPy `descr`.
    enum Element: String {
        case u1 = "|u1", i1 = "|i1", i2 = "<i2", i4 = "<i4", i8 = "<i8", u2 = "<u2", u4 = "<u4", u8 = "<u8", f4 = "<f4"

        /// Bytes per element.
        var size: Int {
            switch self {
            case .u1, .i1: return 1
            case .i2, .u2: return 2
            case .i4, .u4, .f4: return 4
            case .i8, .u8: return 8
            }
        }
    }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    let file: String
    let element: Element
    let shape: [Int]
    /// The element bytes, exactly `shape.product · element.size` of them.
    let data: ArraySlice<UInt8>

    /// Element count.
    var count: Int { shape.reduce(1, *) }

    /// Reads and validates the file at `path`, inflating a gzip file no further than the
    /// header's shape implies (see ``DataFileStream``).
    /// - Throws: `DataError.badMagic`, `.truncated`, `.unsupported` (version, element type,
    ///   `fortran_order: True`, unparsable header), `.shapeMismatch` for trailing bytes.
    init(path: String) throws {
        file = path
        let stream = try DataFileStream(path: path)
        var bytes = try stream.read(upTo: 10)
        guard bytes.count >= 10 else { throw DataError.truncated(file: path, offset: bytes.count, expected: 10, record: nil) }
        guard Array(bytes[0..<6]) == NPYArray.magic else {
            throw DataError.badMagic(file: path, found: Array(bytes[0..<6]), expected: NPYArray.magic)
        }
        let major = bytes[6]
        let headerStart: Int
        let headerLength: Int
        switch major {
        case 1:
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            bytes += try stream.read(upTo: 2)
            guard bytes.count >= 12 else { throw DataError.truncated(file: path, offset: bytes.count, expected: 12, record: nil) }
            headerStart = 12
            headerLength = (8..<12).reversed().reduce(0) { $0 << 8 | Int(bytes[$1]) }
        default:
            throw DataError.unsupported(file: path, detail: "npy format version \(major).\(bytes[7])")
        }
        let dataStart = headerStart + headerLength
        bytes += try stream.read(upTo: dataStart - bytes.count)
        guard bytes.count >= dataStart else {
            throw DataError.truncated(file: path, offset: bytes.count, expected: dataStart, record: nil)
        }
        let header = try NPYHeader(String(decoding: bytes[headerStart..<dataStart], as: UTF8.self), file: path)
        guard let element = Element(rawValue: header.descr) else {
            throw DataError.unsupported(file: path, detail: "element type '\(header.descr)'")
        }
        guard !header.fortranOrder else {
            throw DataError.unsupported(file: path, detail: "fortran_order True (save with np.ascontiguousarray)")
        }
        self.element = element
        shape = header.shape
        let needed = try DataFile.product(shape + [element.size], file: path)
        let recordBytes = try DataFile.product(shape.dropFirst() + [element.size], file: path)
        let payload = try stream.read(upTo: needed)
        guard payload.count == needed else {
            throw DataError.truncated(file: path, offset: stream.offset, expected: recordBytes, record: payload.count / max(recordBytes, 1))
        }
        if let extra = try stream.remainder() {
            throw DataError.shapeMismatch(file: path, detail: "\(extra) after the \(shape) array")
        }
        data = payload[...]
    }

    /// Element `i` as a Double (integers are exact below 2^53).
    func double(at i: Int) -> Double {
        let p = data.startIndex + i * element.size
        var bits: UInt64 = 0
        for b in (0..<element.size).reversed() { bits = bits << 8 | UInt64(data[p + b]) }
        switch element {
        case .u1, .u2, .u4, .u8: return Double(bits)
        case .i1: return Double(Int8(truncatingIfNeeded: bits))
        case .i2: return Double(Int16(truncatingIfNeeded: bits))
        case .i4: return Double(Int32(truncatingIfNeeded: bits))
        case .i8: return Double(Int64(bitPattern: bits))
        case .f4: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        }
    }
}

/// The three keys of an `.npy` header dict.
private struct NPYHeader {
    var descr = ""
    var fortranOrder = false
    var shape: [Int] = []

    /// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }`.
    init(_ text: String, file: String) throws {
        var scanner = Scanner(Array(text.utf8))
        let fail = { (what: String) in DataError.unsupported(file: file, detail: "npy header \(what): \(text)") }
        var seen = Set<String>()
        guard scanner.take("{") else { throw fail("does not start with {") }
        while !scanner.take("}") {
            guard let key = scanner.quoted(), scanner.take(":") else { throw fail("has a malformed key") }
            switch key {
            case "descr":
                guard let value = scanner.quoted() else { throw fail("has a malformed descr") }
                descr = value
            case "fortran_order":
                if scanner.take("True") { fortranOrder = true } else if scanner.take("False") { fortranOrder = false } else {
                    throw fail("has a malformed fortran_order")
                }
            case "shape":
                guard let dims = scanner.tuple() else { throw fail("has a malformed shape") }
                shape = dims
            default:
                throw fail("has unknown key '\(key)'")
            }
            seen.insert(key)
            _ = scanner.take(",")
        }
        guard seen.count == 3 else { throw fail("lacks one of descr, fortran_order, shape") }
    }

    /// A cursor over the header bytes that skips whitespace before every token.
    private struct Scanner {
        let bytes: [UInt8]
        var at = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() { while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A { at += 1 } }

        /// Consumes `token` if it comes next.
        mutating func take(_ token: String) -> Bool {
            skipSpace()
            let t = Array(token.utf8)
            guard at + t.count <= bytes.count, Array(bytes[at..<(at + t.count)]) == t else { return false }
            at += t.count
            return true
        }

        /// A '…' or "…" string without escapes.
        mutating func quoted() -> String? {
            skipSpace()
            guard at < bytes.count, bytes[at] == 0x27 || bytes[at] == 0x22 else { return nil }
            let quote = bytes[at]
            guard let end = bytes[(at + 1)...].firstIndex(of: quote) else { return nil }
            defer { at = end + 1 }
            return String(decoding: bytes[(at + 1)..<end], as: UTF8.self)
        }

        /// A tuple of non-negative integers: `()`, `(5,)`, `(3, 28, 28)`.
        mutating func tuple() -> [Int]? {
            guard take("(") else { return nil }
            var dims: [Int] = []
            while !take(")") {
                skipSpace()
                let start = at
                while at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39 { at += 1 }
                guard at > start, let d = Int(String(decoding: bytes[start..<at], as: UTF8.self)) else { return nil }
                dims.append(d)
                _ = take(",")
            }
            return dims
        }
    }
}
