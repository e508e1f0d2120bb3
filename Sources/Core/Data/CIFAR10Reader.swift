/// Reads the CIFAR-10 binary version (`cifar-10-batches-bin`).
///
/// Each file is a sequence of 3,073-byte records: one label byte (0…9), then the 32×32 red
/// plane, the green plane and the blue plane, each row-major (CHW). Images come out HWC.
public enum CIFAR10Reader {
    /// Image side in pixels.
    public static let side = 32
    /// Bytes per record: 1 label + 3 · 32 · 32 pixels.
    public static let recordBytes = 1 + 3 * side * side
    /// The training files, in order.
    public static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    /// The test file.
    public static let testFile = "test_batch.bin"

    /// Reads `data_batch_1.bin` … `data_batch_5.bin` (concatenated) and `test_batch.bin` from `directory`.
    /// - Throws: any `DataError` of ``readBatch(file:)``.
    public static func read(directory: String) throws -> (train: Dataset, test: Dataset) {
        var images: [UInt8] = []
        var labels: [Int32] = []
        for name in trainFiles {
            let batch = try readBatch(file: directory + "/" + name)
            images += batch.images
            labels += batch.labels
        }
        let train = try Dataset(
            images: images, labels: labels, height: side, width: side, channels: 3, classes: 10, source: directory)
        return (train, try readBatch(file: directory + "/" + testFile))
    }

    /// Reads one batch file (any number of whole records; gzip is inflated).
    /// - Throws: `DataError.io`, `.truncated` naming the cut record, `.labelOutOfRange` for a label byte above 9.
    public static func readBatch(file: String) throws -> Dataset {
        let bytes = try DataFile.contents(of: file)
        let count = bytes.count / recordBytes
        guard bytes.count % recordBytes == 0 else {
            throw DataError.truncated(file: file, offset: bytes.count, expected: recordBytes, record: count)
        }
        let plane = side * side
        var images = [UInt8](repeating: 0, count: count * 3 * plane)
        var labels = [Int32](repeating: 0, count: count)
        bytes.withUnsafeBufferPointer { src in
            images.withUnsafeMutableBufferPointer { dst in
                // record: [1 + C·H·W] (CHW) -> image: [H, W, C]
                for r in 0..<count {
                    let record = src.baseAddress! + r * recordBytes
                    labels[r] = Int32(record[0])
                    let pixels = record + 1
                    let image = dst.baseAddress! + r * 3 * plane
                    for p in 0..<plane {
                        image[3 * p] = pixels[p]
                        image[3 * p + 1] = pixels[plane + p]
                        image[3 * p + 2] = pixels[2 * plane + p]
                    }
                }
            }
        }
        return try Dataset(images: images, labels: labels, height: side, width: side, channels: 3, classes: 10, source: file)
    }
}
