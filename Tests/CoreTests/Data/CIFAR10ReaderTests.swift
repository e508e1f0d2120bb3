import XCTest
@testable import Core

final class CIFAR10ReaderTests: XCTestCase {
    /// A record whose label is `label` and whose byte at plane `c`, pixel `p` is `(c·7 + p) mod 251`.
    private func record(label: UInt8, seed: Int) -> [UInt8] {
        [label] + (0..<3).flatMap { c in (0..<1024).map { p in UInt8((seed + c * 7 + p) % 251) } }
    }

    func testPlanesBecomeInterleavedPixels() throws {
        let dir = ScratchDirectory()
        let file = dir.write("data_batch_1.bin", record(label: 3, seed: 0) + record(label: 9, seed: 100))
        let batch = try CIFAR10Reader.readBatch(file: file)
        XCTAssertEqual(batch.count, 2)
        XCTAssertEqual(batch.labels, [3, 9])
        XCTAssertEqual([batch.height, batch.width, batch.channels, batch.classes], [32, 32, 3, 10])
        // Image 1, row 5, column 7: planes hold (100 + c·7 + 167) mod 251 at pixel 5·32 + 7 = 167.
        let pixel = 3072 + (5 * 32 + 7) * 3
        XCTAssertEqual(Array(batch.images[pixel..<(pixel + 3)]), [16, 23, 30])
    }

    func testReadsTrainAndTestFiles() throws {
        let dir = ScratchDirectory()
        for (i, name) in CIFAR10Reader.trainFiles.enumerated() { dir.write(name, record(label: UInt8(i), seed: i)) }
        dir.write(CIFAR10Reader.testFile, record(label: 7, seed: 9) + record(label: 8, seed: 9) + record(label: 9, seed: 9))
        let (train, test) = try CIFAR10Reader.read(directory: dir.path)
        XCTAssertEqual(train.labels, [0, 1, 2, 3, 4])
        XCTAssertEqual(test.labels, [7, 8, 9])
        XCTAssertEqual(train.images[4 * 3072], 4)  // record 4 starts with (4 + 0) mod 251 in the red plane
    }

    func testTruncatedRecordNamesRecordAndByte() {
        let dir = ScratchDirectory()
        let file = dir.write("data_batch_1.bin", Array((0..<17).map { _ in record(label: 1, seed: 0) }.joined()) + [1, 2, 3])
        assertDataError(
            .truncated(file: file, offset: 52_244, expected: 3_073, record: 17),
            message: "\(file): record 17 truncated at byte 52,244 (need 3,073 bytes per record)"
        ) { try CIFAR10Reader.readBatch(file: file) }
    }

    func testLabelAboveNine() {
        let dir = ScratchDirectory()
        let file = dir.write("test_batch.bin", record(label: 2, seed: 0) + record(label: 10, seed: 0))
        assertDataError(
            .labelOutOfRange(file: file, record: 1, label: 10, classes: 10),
            message: "\(file): record 1 has label 10, outside 0..<10"
        ) { try CIFAR10Reader.readBatch(file: file) }
    }

    func testMissingFile() {
        let file = ScratchDirectory().path + "/nothing.bin"
        assertDataError(
            .io(file: file, message: "cannot open: No such file or directory"),
            message: "\(file): cannot open: No such file or directory"
        ) { try CIFAR10Reader.readBatch(file: file) }
    }
}
