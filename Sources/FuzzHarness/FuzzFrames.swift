/// The byte-string form of a multi-part fuzz input: each part as a `u32` little-endian length
/// and then its bytes. A length running past the end takes what is left, and fewer than four
/// trailing bytes form one last part, so every byte string splits into parts and mutating a
/// length moves bytes between parts (a wire message's frames, an image and a label file).
public enum FuzzFrames {
    /// The parts of `bytes` (none for an empty string).
    public static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var at = 0
        while at < bytes.count {
            guard bytes.count - at >= 4 else {
                parts.append(Array(bytes[at...]))
                break
            }
            let declared = (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) }
            at += 4
            let length = min(declared, bytes.count - at)
            parts.append(Array(bytes[at..<(at + length)]))
            at += length
        }
        return parts
    }

    /// The byte string that ``split(_:)`` turns back into `parts`.
    public static func join(_ parts: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for part in parts {
            withUnsafeBytes(of: UInt32(part.count).littleEndian) { bytes += $0 }
            bytes += part
        }
        return bytes
    }
}
