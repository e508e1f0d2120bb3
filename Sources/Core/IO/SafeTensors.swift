/// A set of named F32 tensors with string metadata in the safetensors format:
/// an 8-byte little-endian header length `N`, `N` bytes of JSON header
/// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}`,
/// then the little-endian data, each tensor at its offsets relative to the data section.
public struct SafeTensors: Sendable {
    /// The tensors, in file order: encoding writes them in this order, decoding returns them
    /// sorted by data offset.
    public var tensors: [(name: String, shape: [Int], values: [Float])]
    /// String-to-string metadata (`__metadata__`), omitted from the file when empty.
    public var metadata: [String: String]
    /// Int64 tensors (dtype `I64`, such as PyTorch's `num_batches_tracked`), written after the float
    /// ones; decoding fills them only when asked to accept them.
    public var integerTensors: [(name: String, shape: [Int], values: [Int64])]

    public init(tensors: [(name: String, shape: [Int], values: [Float])] = [], metadata: [String: String] = [:],
                integerTensors: [(name: String, shape: [Int], values: [Int64])] = []) {
        self.tensors = tensors
        self.metadata = metadata
        self.integerTensors = integerTensors
    }

    /// The file bytes. Tensors are laid out contiguously in order; the header is padded with
    /// spaces to a multiple of 8 bytes so the data section is aligned. Requires unique names
    /// other than `__metadata__` and values matching each shape.
    public func encoded() -> [UInt8] {
        var header = "{"
        var offset = 0
        var seen = Set<String>()
        let entries = tensors.map { ($0.name, $0.shape, $0.values.count, "F32", 4) }
            + integerTensors.map { ($0.name, $0.shape, $0.values.count, "I64", 8) }
        for (index, (name, shape, count, dtype, size)) in entries.enumerated() {
            precondition(name != "__metadata__" && seen.insert(name).inserted,
                         "SafeTensors: duplicate or reserved tensor name '\(name)'")
            precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == count,
                         "SafeTensors: tensor '\(name)' has \(count) values for shape \(shape)")
            let end = offset + size * count
            if index > 0 { header += "," }
            header += "\(jsonString(name)):{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        if !metadata.isEmpty {
            if !entries.isEmpty { header += "," }
            header += "\"__metadata__\":{"
            header += metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }.joined(separator: ",")
            header += "}"
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        let headerLength = UInt64(headerBytes.count)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: headerLength >> UInt64(shift))) }
        bytes += headerBytes
        for tensor in tensors {
            for value in tensor.values {
                let bits = value.bitPattern
                bytes.append(UInt8(truncatingIfNeeded: bits))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
            }
        }
        for tensor in integerTensors {
            for value in tensor.values {
                for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> Int64(shift))) }
            }
        }
        return bytes
    }
}

/// `s` as a JSON string literal, quotes included.
private func jsonString(_ s: String) -> String {
    var result = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
