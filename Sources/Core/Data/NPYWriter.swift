/// Writes float32 arrays in NumPy's `.npy` format (version 1.0, little-endian `<f4`, C order), as
/// `numpy.load` reads them: magic, version, a header dict padded with spaces to a multiple of 64
/// bytes and ended by a newline, then the data.
public enum NPYWriter {
    /// The file bytes of `values` with `shape` (whose product must be `values.count`).
    public static func float32(_ values: [Float], shape: [Int]) -> [UInt8] {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count, "NPYWriter: \(values.count) values for shape \(shape)")
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(dims), }"
        let unpadded = NPYArray.magic.count + 4 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes = NPYArray.magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        bytes.reserveCapacity(bytes.count + 4 * values.count)
        for v in values {
            let bits = v.bitPattern
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
        }
        return bytes
    }
}
