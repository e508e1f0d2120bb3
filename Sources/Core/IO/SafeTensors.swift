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

    public init(tensors: [(name: String, shape: [Int], values: [Float])] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The file bytes. Tensors are laid out contiguously in order; the header is padded with
    /// spaces to a multiple of 8 bytes so the data section is aligned. Requires unique names
    /// other than `__metadata__` and values matching each shape.
    public func encoded() -> [UInt8] {
        var header = "{"
        var offset = 0
        var seen = Set<String>()
        for (index, tensor) in tensors.enumerated() {
            precondition(tensor.name != "__metadata__" && seen.insert(tensor.name).inserted,
                         "SafeTensors: duplicate or reserved tensor name '\(tensor.name)'")
            precondition(tensor.shape.allSatisfy { $0 >= 0 } && tensor.shape.reduce(1, *) == tensor.values.count,
                         "SafeTensors: tensor '\(tensor.name)' has \(tensor.values.count) values for shape \(tensor.shape)")
            let end = offset + 4 * tensor.values.count
            if index > 0 { header += "," }
            header += "\(jsonString(tensor.name)):{\"dtype\":\"F32\",\"shape\":\(tensor.shape),\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        if !metadata.isEmpty {
            if !tensors.isEmpty { header += "," }
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
