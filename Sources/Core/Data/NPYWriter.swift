/// Writes arrays in NumPy's `.npy` format (version 1.0, C order), as `numpy.load` reads them:
/// magic, version, a header dict padded with spaces to a multiple of 64 bytes and ended by a
/// newline, then the little-endian data.
public enum NPYWriter {
    /// The file bytes of float32 `values` (`<f4`) with `shape`, whose product must be `values.count`.
    public static func float32(_ values: [Float], shape: [Int]) -> [UInt8] {
        var bytes = header(descr: "<f4", shape: shape, count: values.count)
        bytes.reserveCapacity(bytes.count + 4 * values.count)
        for v in values {
            let bits = v.bitPattern
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
        }
        return bytes
    }

    /// The file bytes of byte `values` (`|u1`) with `shape`, whose product must be `values.count`.
    public static func uint8(_ values: [UInt8], shape: [Int]) -> [UInt8] {
        header(descr: "|u1", shape: shape, count: values.count) + values
    }

    private static func header(descr: String, shape: [Int], count: Int) -> [UInt8] {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == count, "NPYWriter: \(count) values for shape \(shape)")
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var text = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(dims), }"
        let unpadded = NPYArray.magic.count + 4 + text.utf8.count + 1
        text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        return NPYArray.magic + [1, 0, UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)] + Array(text.utf8)
    }
}
