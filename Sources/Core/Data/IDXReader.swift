/// Reads MNIST-style IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed.
///
/// Layout: a 4-byte magic `00 00 08 nd` (unsigned bytes, `nd` dimensions), `nd` big-endian
/// UInt32 dimensions, then the bytes. Images are `0x00000803` `[N, rows, cols]`, labels
/// `0x00000801` `[N]`. Gzip is recognised by its magic bytes `1f 8b`, not by the file name.
public enum IDXReader {
    /// Magic of an unsigned-byte image file with three dimensions.
    static let imageMagic: [UInt8] = [0, 0, 8, 3]
    /// Magic of an unsigned-byte label file with one dimension.
    static let labelMagic: [UInt8] = [0, 0, 8, 1]

    /// Reads an image file and a label file into a one-channel data set.
    /// - Parameter classes: labels must lie in `0..<classes` (10 for MNIST and Fashion-MNIST).
    /// - Throws: `DataError.io`, `.gzip`, `.badMagic`, `.truncated`, `.countMismatch`, `.labelOutOfRange`.
    public static func read(images: String, labels: String, classes: Int = 10) throws -> Dataset {
        let imageFile = try IDXFile(path: images, magic: imageMagic)
        let labelFile = try IDXFile(path: labels, magic: labelMagic)
        let count = imageFile.dimensions[0]
        guard labelFile.dimensions[0] == count else {
            throw DataError.countMismatch(images: images, imageCount: count, labels: labels, labelCount: labelFile.dimensions[0])
        }
        return try Dataset(
            images: imageFile.payload, labels: labelFile.payload.map { Int32($0) },
            height: imageFile.dimensions[1], width: imageFile.dimensions[2], channels: 1, classes: classes, source: labels)
    }

    /// Reads an image file alone (raw or gzip).
    /// - Returns: the bytes and the shape `[N, rows, cols, 1]`.
    /// - Throws: as ``read(images:labels:classes:)``.
    public static func images(_ path: String) throws -> (bytes: [UInt8], shape: [Int]) {
        let file = try IDXFile(path: path, magic: imageMagic)
        return (file.payload, file.dimensions + [1])
    }
}

/// One decoded IDX file of unsigned bytes: its dimensions and its payload.
private struct IDXFile {
    let dimensions: [Int]
    let payload: [UInt8]

    /// Reads `path` and checks its magic and that the payload holds every record. The payload is
    /// inflated no further than the header's dimensions imply: a short gzip file claiming huge
    /// dimensions fails as truncated after inflating what it holds, and a stream longer than its
    /// header fails after at most one more chunk.
    init(path: String, magic: [UInt8]) throws {
        let file = try DataFileStream(path: path)
        let rank = Int(magic[3])
        let headerBytes = 4 + 4 * rank
        let header = try file.read(upTo: headerBytes)
        guard header.count >= 4 else {
            throw DataError.truncated(file: path, offset: header.count, expected: headerBytes, record: nil)
        }
        guard Array(header[0..<4]) == magic else {
            throw DataError.badMagic(file: path, found: Array(header[0..<4]), expected: magic)
        }
        guard header.count == headerBytes else {
            throw DataError.truncated(file: path, offset: header.count, expected: headerBytes, record: nil)
        }
        dimensions = (0..<rank).map { d in
            header[(4 + 4 * d)..<(8 + 4 * d)].reduce(0) { $0 << 8 | Int($1) }
        }
        let total = try DataFile.product(dimensions, file: path)
        let recordBytes = try DataFile.product(Array(dimensions.dropFirst()), file: path)
        payload = try file.read(upTo: total)
        guard payload.count == total else {
            throw DataError.truncated(file: path, offset: file.offset, expected: recordBytes, record: payload.count / max(recordBytes, 1))
        }
        if let extra = try file.remainder() {
            throw DataError.shapeMismatch(file: path, detail: "\(extra) after \(dimensions[0]) records")
        }
    }
}
