import Foundation

extension SafeTensors {
    /// Parses and validates safetensors bytes: the header length lies within the file, the header
    /// is a JSON object, every tensor is F32 with a non-negative integer shape and
    /// `data_offsets` whose span matches the shape, tensors tile the data section exactly (no
    /// overlaps, gaps or trailing bytes) and `__metadata__` maps strings to strings.
    /// Tensors come back sorted by data offset. `source` (a file name) labels the errors. With
    /// `acceptingIntegers`, `I64` tensors are accepted too and returned in ``integerTensors``.
    /// Throws ``SafeTensorsError``.
    public static func decode(_ bytes: [UInt8], source: String, acceptingIntegers: Bool = false) throws -> SafeTensors {
        func fail(_ problem: SafeTensorsError.Problem) -> SafeTensorsError {
            SafeTensorsError(source: source, problem: problem)
        }
        guard bytes.count >= 8 else { throw fail(.missingHeaderLength(fileLength: bytes.count)) }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << UInt64(8 * i) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail(.headerLengthOutOfRange(headerLength: headerLength, available: bytes.count - 8))
        }
        let dataStart = 8 + Int(headerLength)
        guard let header = (try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))) as? [String: Any] else {
            throw fail(.headerNotJSONObject)
        }

        var metadata: [String: String] = [:]
        var entries: [(name: String, shape: [Int], begin: Int, end: Int, elementSize: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let object = value as? [String: Any] else { throw fail(.invalidMetadata(reason: "is not an object")) }
                for (key, item) in object {
                    guard let text = item as? String else { throw fail(.invalidMetadata(reason: "value of '\(key)' is not a string")) }
                    metadata[key] = text
                }
                continue
            }
            guard let entry = value as? [String: Any] else {
                throw fail(.invalidField(tensor: name, field: "", reason: "entry is not an object"))
            }
            guard let dtype = entry["dtype"] as? String else {
                throw fail(.invalidField(tensor: name, field: "dtype", reason: "is missing or not a string"))
            }
            guard dtype == "F32" || (acceptingIntegers && dtype == "I64") else { throw fail(.unsupportedDType(tensor: name, dtype: dtype)) }
            let elementSize = dtype == "F32" ? 4 : 8
            guard let shape = integers(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail(.invalidField(tensor: name, field: "shape", reason: "is not an array of non-negative integers"))
            }
            guard let offsets = integers(entry["data_offsets"]), offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw fail(.invalidField(tensor: name, field: "data_offsets", reason: "is not [begin, end] with 0 ≤ begin ≤ end"))
            }
            var elements = 1
            var overflow = false
            for dimension in shape {
                (elements, overflow) = elements.multipliedReportingOverflow(by: dimension)
                if overflow { break }
            }
            let (byteCount, byteOverflow) = elements.multipliedReportingOverflow(by: elementSize)
            guard !overflow, !byteOverflow, byteCount == offsets[1] - offsets[0] else {
                throw fail(.sizeMismatch(tensor: name, shape: shape, expectedBytes: overflow || byteOverflow ? Int.max : byteCount,
                                         spanBytes: offsets[1] - offsets[0]))
            }
            entries.append((name, shape, offsets[0], offsets[1], elementSize))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }

        let dataLength = bytes.count - dataStart
        var position = 0
        for entry in entries {
            guard entry.begin == position else { throw fail(.notContiguous(tensor: entry.name, begin: entry.begin, expected: position)) }
            position = entry.end
        }
        guard position == dataLength else { throw fail(.dataLengthMismatch(expected: position, actual: dataLength)) }

        let (tensors, integerTensors) = bytes.withUnsafeBytes { raw in
            (entries.filter { $0.elementSize == 4 }.map { entry in
                let values = (0..<(entry.end - entry.begin) / 4).map { k in
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + entry.begin + 4 * k, as: UInt32.self)))
                }
                return (name: entry.name, shape: entry.shape, values: values)
            }, entries.filter { $0.elementSize == 8 }.map { entry in
                let values = (0..<(entry.end - entry.begin) / 8).map { k in
                    Int64(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + entry.begin + 8 * k, as: Int64.self))
                }
                return (name: entry.name, shape: entry.shape, values: values)
            })
        }
        return SafeTensors(tensors: tensors, metadata: metadata, integerTensors: integerTensors)
    }
}

/// `value` as an array of integers when it is a JSON array of integral numbers (not booleans,
/// which JSONSerialization also returns as `NSNumber`, with Objective-C type `c`).
private func integers(_ value: Any?) -> [Int]? {
    guard let array = value as? [Any] else { return nil }
    var result: [Int] = []
    for item in array {
        guard let number = item as? NSNumber, String(cString: number.objCType) != "c",
              let integer = Int(exactly: number.doubleValue) else { return nil }
        result.append(integer)
    }
    return result
}
