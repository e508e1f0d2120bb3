import XCTest
@testable import Core

final class IDXReaderTests: XCTestCase {
    /// Three 28×28 images whose pixel (r, c) of image i is (i·31 + r·28 + c) mod 256.
    private let pixels: [UInt8] = (0..<3).flatMap { i in (0..<784).map { UInt8((i * 31 + $0) % 256) } }
    private var imageFile: [UInt8] { [0, 0, 8, 3] + bigEndian(3) + bigEndian(28) + bigEndian(28) + pixels }
    private var labelFile: [UInt8] { [0, 0, 8, 1] + bigEndian(3) + [4, 0, 9] }

    private func check(_ data: Dataset) {
        XCTAssertEqual([data.count, data.height, data.width, data.channels, data.classes], [3, 28, 28, 1, 10])
        XCTAssertEqual(data.labels, [4, 0, 9])
        XCTAssertEqual(data.images, pixels)
    }

    func testRawFiles() throws {
        let dir = ScratchDirectory()
        check(try IDXReader.read(images: dir.write("images-idx3-ubyte", imageFile), labels: dir.write("labels-idx1-ubyte", labelFile)))
    }

    func testGzipIsDetectedByMagicNotName() throws {
        let dir = ScratchDirectory()
        let images = dir.writeGzip("images-idx3-ubyte.gz", imageFile)
        let labels = dir.writeGzip("labels-without-suffix", labelFile)
        check(try IDXReader.read(images: images, labels: labels))
    }

    func testCutGzipStream() throws {
        let dir = ScratchDirectory()
        let whole = try Data(contentsOf: URL(fileURLWithPath: dir.writeGzip("full.gz", imageFile)))
        let cut = dir.write("cut.gz", Array(whole.prefix(whole.count - 20)))
        XCTAssertThrowsError(try IDXReader.read(images: cut, labels: dir.write("l", labelFile))) { error in
            guard case let .gzip(file, _, message)? = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, cut)
            XCTAssertEqual(message, "stream ends before its trailer")
        }
    }

    func testWrongMagic() {
        let dir = ScratchDirectory()
        let labels = dir.write("labels", labelFile)
        let images = dir.write("images", labelFile)  // a label file where images belong
        assertDataError(
            .badMagic(file: images, found: [0, 0, 8, 1], expected: [0, 0, 8, 3]),
            message: "\(images): bad magic 0x00000801 (expected 0x00000803)"
        ) { try IDXReader.read(images: images, labels: labels) }
    }

    func testTruncatedImages() {
        let dir = ScratchDirectory()
        let images = dir.write("images", Array(imageFile.dropLast(100)))
        assertDataError(
            .truncated(file: images, offset: 16 + 3 * 784 - 100, expected: 784, record: 2),
            message: "\(images): record 2 truncated at byte 2,268 (need 784 bytes per record)"
        ) { try IDXReader.read(images: images, labels: dir.write("labels", labelFile)) }
    }

    func testTruncatedHeader() {
        let dir = ScratchDirectory()
        let labels = dir.write("labels", [0, 0, 8, 1, 0, 0])
        assertDataError(
            .truncated(file: labels, offset: 6, expected: 8, record: nil), message: "\(labels): truncated at byte 6 (need 8 bytes)"
        ) { try IDXReader.read(images: dir.write("images", imageFile), labels: labels) }
    }

    func testCountMismatch() {
        let dir = ScratchDirectory()
        let images = dir.write("images", imageFile)
        let labels = dir.write("labels", [0, 0, 8, 1] + bigEndian(2) + [1, 2])
        assertDataError(
            .countMismatch(images: images, imageCount: 3, labels: labels, labelCount: 2),
            message: "\(images) holds 3 images but \(labels) holds 2 labels"
        ) { try IDXReader.read(images: images, labels: labels) }
    }

    func testLabelOutOfRange() {
        let dir = ScratchDirectory()
        let labels = dir.write("labels", [0, 0, 8, 1] + bigEndian(3) + [4, 0, 12])
        assertDataError(
            .labelOutOfRange(file: labels, record: 2, label: 12, classes: 10),
            message: "\(labels): record 2 has label 12, outside 0..<10"
        ) { try IDXReader.read(images: dir.write("images", imageFile), labels: labels) }
    }

    func testTrailingBytesAreAShapeMismatch() {
        let dir = ScratchDirectory()
        let images = dir.write("images", imageFile + [0, 0])
        assertDataError(
            .shapeMismatch(file: images, detail: "2 bytes after 3 records"),
            message: "\(images): shape mismatch: 2 bytes after 3 records"
        ) { try IDXReader.read(images: images, labels: dir.write("labels", labelFile)) }
    }

    func testOverflowingDimensionsDoNotTrap() {
        let dir = ScratchDirectory()
        let huge = bigEndian(0xFFFF_FFFF)
        let images = dir.write("images", [0, 0, 8, 3] + huge + huge + huge)
        assertDataError(
            .shapeMismatch(file: images, detail: "dimensions [4294967295, 4294967295, 4294967295] overflow"),
            message: "\(images): shape mismatch: dimensions [4294967295, 4294967295, 4294967295] overflow"
        ) { try IDXReader.read(images: images, labels: dir.write("labels", labelFile)) }
    }

    /// A gzip file is inflated only as far as the IDX header's dimensions reach, in chunks:
    /// neither the header nor the gzip trailer's size field can make the reader allocate what
    /// they claim. (Zero-filled allocations are touched when Swift initialises them, so the
    /// peak RSS would show a claimed 4 GiB or 2⁶² bytes; 64 MiB leaves room for the test itself.)
    func testGzipClaimingHugeSizesIsRejectedWithoutAllocatingThem() throws {
        let dir = ScratchDirectory()
        let peakBefore = peakResidentBytes()
        // 20 bytes: an empty gzip member whose trailer claims 4 GiB − 1 of content.
        var empty = try Array(Data(contentsOf: URL(fileURLWithPath: dir.writeGzip("empty.gz", []))))
        XCTAssertEqual(empty.count, 20)
        empty.replaceSubrange(16..<20, with: [0xFF, 0xFF, 0xFF, 0xFF])
        let claimsTrailer = dir.write("claims-4GiB.gz", empty)
        XCTAssertThrowsError(try IDXReader.read(images: claimsTrailer, labels: dir.write("l", labelFile))) { error in
            guard case let .gzip(file, _, message)? = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, claimsTrailer)
            XCTAssertEqual(message, "incorrect length check")
        }
        // A valid gzip holding a header that claims 2^20 images of 2^21 × 2^21 (2^62 bytes) and 100 bytes.
        let claimsHeader = dir.writeGzip("claims-2^62.gz", [0, 0, 8, 3] + bigEndian(1 << 20) + bigEndian(1 << 21) + bigEndian(1 << 21)
            + [UInt8](repeating: 7, count: 100))
        assertDataError(
            .truncated(file: claimsHeader, offset: 116, expected: 1 << 42, record: 0),
            message: "\(claimsHeader): record 0 truncated at byte 116 (need 4,398,046,511,104 bytes per record)"
        ) { try IDXReader.read(images: claimsHeader, labels: dir.write("labels", labelFile)) }
        XCTAssertLessThan(peakResidentBytes() - peakBefore, 64 << 20, "peak RSS grew by \(peakResidentBytes() - peakBefore) bytes")
    }

    /// A decompression bomb (256 MiB of zeros after three 28×28 images, a few hundred KiB of gzip)
    /// is rejected after inflating at most one chunk (1 MiB) past what the header announces.
    func testGzipBombLongerThanItsHeaderIsRejected() throws {
        let dir = ScratchDirectory()
        let bomb = dir.writeGzip("bomb.gz", imageFile, zeros: 256 << 20)
        let peakBefore = peakResidentBytes()
        assertDataError(
            .shapeMismatch(file: bomb, detail: "more than 1048576 bytes after 3 records"),
            message: "\(bomb): shape mismatch: more than 1048576 bytes after 3 records"
        ) { try IDXReader.read(images: bomb, labels: dir.write("labels", labelFile)) }
        XCTAssertLessThan(peakResidentBytes() - peakBefore, 64 << 20, "peak RSS grew by \(peakResidentBytes() - peakBefore) bytes")
    }

    /// The genuine Fashion-MNIST from the Debian package `dataset-fashion-mnist`.
    func testFashionMNIST() throws {
        let dir = "/usr/share/datasets/fashion-mnist"
        guard FileManager.default.fileExists(atPath: dir + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("Fashion-MNIST not installed at \(dir) (apt install dataset-fashion-mnist)")
        }
        let train = try IDXReader.read(images: dir + "/train-images-idx3-ubyte.gz", labels: dir + "/train-labels-idx1-ubyte.gz")
        let test = try IDXReader.read(images: dir + "/t10k-images-idx3-ubyte.gz", labels: dir + "/t10k-labels-idx1-ubyte.gz")
        XCTAssertEqual([train.count, test.count], [60_000, 10_000])
        XCTAssertEqual([train.height, train.width, train.channels], [28, 28, 1])
        XCTAssertEqual(Set(train.labels), Set(0...9))
        XCTAssertEqual(Array(train.labels.prefix(4)), [9, 0, 0, 3])  // ankle boot, T-shirt, T-shirt, dress
        XCTAssertEqual(Array(test.labels.prefix(3)), [9, 2, 1])
        XCTAssertEqual(train.images.prefix(784).reduce(0) { $0 + Int($1) }, 76_247)  // pixel sum of the first image
    }
}
