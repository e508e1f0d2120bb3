import XCTest
@testable import Core

final class NPYReaderTests: XCTestCase {
    private let labels8 = littleEndian([Int64(2), 0, 7])

    func testBytesWithChannelsAndInt64Labels() throws {
        let dir = ScratchDirectory()
        let pixels = (0..<(3 * 2 * 2 * 3)).map { UInt8($0 * 5) }
        let data = try NPYReader.read(
            images: dir.write("x.npy", npyFile(descr: "|u1", shape: [3, 2, 2, 3], payload: pixels)),
            labels: dir.write("y.npy", npyFile(descr: "<i8", shape: [3], payload: labels8)))
        XCTAssertEqual([data.count, data.height, data.width, data.channels], [3, 2, 2, 3])
        XCTAssertEqual(data.images, pixels)
        XCTAssertEqual(data.labels, [2, 0, 7])
    }

    func testUnitFloatsAreScaledAndRounded() throws {
        let dir = ScratchDirectory()
        let values: [Float] = [0, 0.5, 1, 0.2, 0.001, 0.999]  // ×255: 0, 127.5, 255, 51, 0.255, 254.745
        let data = try NPYReader.read(
            images: dir.write("x.npy", npyFile(descr: "<f4", shape: [3, 1, 2], payload: littleEndian(values), version: 2)),
            labels: dir.write("y.npy", npyFile(descr: "|u1", shape: [3], payload: [1, 1, 0])))
        XCTAssertEqual(data.channels, 1)
        XCTAssertEqual(data.images, [0, 128, 255, 51, 0, 255])
    }

    func testByteRangeFloatsAreRounded() throws {
        let dir = ScratchDirectory()
        let data = try NPYReader.read(
            images: dir.write("x.npy", npyFile(descr: "<f4", shape: [1, 1, 3], payload: littleEndian([Float(0), 17.4, 254.6]))),
            labels: dir.write("y.npy", npyFile(descr: "<u2", shape: [1], payload: littleEndian([UInt16(5)]))))
        XCTAssertEqual(data.images, [0, 17, 255])
        XCTAssertEqual(data.labels, [5])
    }

    func testEveryLabelType() throws {
        let dir = ScratchDirectory()
        let images = dir.write("x.npy", npyFile(descr: "|u1", shape: [2, 1, 1], payload: [0, 1]))
        let payloads: [(String, [UInt8])] = [
            ("|u1", [3, 9]), ("|i1", [3, 9]), ("<i2", littleEndian([Int16(3), 9])), ("<i4", littleEndian([Int32(3), 9])),
            ("<i8", littleEndian([Int64(3), 9])), ("<u2", littleEndian([UInt16(3), 9])), ("<u4", littleEndian([UInt32(3), 9])),
            ("<u8", littleEndian([UInt64(3), 9])),
        ]
        for (descr, payload) in payloads {
            let labels = dir.write("y\(descr.dropFirst()).npy", npyFile(descr: descr, shape: [2], payload: payload))
            XCTAssertEqual(try NPYReader.read(images: images, labels: labels).labels, [3, 9], descr)
        }
    }

    func testFortranOrderIsRejected() {
        let dir = ScratchDirectory()
        let images = dir.write("x.npy", npyFile(descr: "|u1", shape: [1, 2, 2], payload: [1, 2, 3, 4], fortranOrder: true))
        assertDataError(
            .unsupported(file: images, detail: "fortran_order True (save with np.ascontiguousarray)"),
            message: "\(images): unsupported: fortran_order True (save with np.ascontiguousarray)"
        ) { try NPYReader.read(images: images, labels: dir.write("y.npy", npyFile(descr: "|u1", shape: [1], payload: [0]))) }
    }

    func testFloatsOutsideBothRanges() {
        let dir = ScratchDirectory()
        let images = dir.write("x.npy", npyFile(descr: "<f4", shape: [1, 1, 2], payload: littleEndian([Float(-0.5), 0.5])))
        assertDataError(
            .pixelRange(file: images, min: -0.5, max: 0.5),
            message: "\(images): float pixels span [-0.5, 0.5], expected values in [0, 1] or [0, 255]"
        ) { try NPYReader.read(images: images, labels: dir.write("y.npy", npyFile(descr: "|u1", shape: [1], payload: [0]))) }
    }

    func testImageRankMismatch() {
        let dir = ScratchDirectory()
        let images = dir.write("x.npy", npyFile(descr: "|u1", shape: [2, 2], payload: [1, 2, 3, 4]))
        assertDataError(
            .shapeMismatch(file: images, detail: "image array has shape [2, 2], expected [N, H, W] or [N, H, W, C]"),
            message: "\(images): shape mismatch: image array has shape [2, 2], expected [N, H, W] or [N, H, W, C]"
        ) { try NPYReader.read(images: images, labels: dir.write("y.npy", npyFile(descr: "|u1", shape: [2], payload: [0, 1]))) }
    }

    func testCountMismatch() {
        let dir = ScratchDirectory()
        let images = dir.write("x.npy", npyFile(descr: "|u1", shape: [2, 1, 1], payload: [1, 2]))
        let labels = dir.write("y.npy", npyFile(descr: "<i8", shape: [3], payload: labels8))
        assertDataError(
            .countMismatch(images: images, imageCount: 2, labels: labels, labelCount: 3),
            message: "\(images) holds 2 images but \(labels) holds 3 labels"
        ) { try NPYReader.read(images: images, labels: labels) }
    }

    func testNegativeAndHugeLabels() {
        let dir = ScratchDirectory()
        let images = dir.write("x.npy", npyFile(descr: "|u1", shape: [2, 1, 1], payload: [1, 2]))
        let negative = dir.write("neg.npy", npyFile(descr: "<i8", shape: [2], payload: littleEndian([Int64(1), -1])))
        assertDataError(
            .labelOutOfRange(file: negative, record: 1, label: -1, classes: 10),
            message: "\(negative): record 1 has label -1, outside 0..<10"
        ) { try NPYReader.read(images: images, labels: negative) }
        let huge = dir.write("huge.npy", npyFile(descr: "<i8", shape: [2], payload: littleEndian([Int64(1) << 40, 0])))
        assertDataError(
            .labelOutOfRange(file: huge, record: 0, label: 1 << 40, classes: 10),
            message: "\(huge): record 0 has label 1099511627776, outside 0..<10"
        ) { try NPYReader.read(images: images, labels: huge) }
    }

    func testTruncatedData() {
        let dir = ScratchDirectory()
        let full = npyFile(descr: "|u1", shape: [3, 2, 2], payload: Array(repeating: 1, count: 12))
        let images = dir.write("x.npy", Array(full.dropLast(5)))
        assertDataError(
            .truncated(file: images, offset: full.count - 5, expected: 4, record: 1),
            message: "\(images): record 1 truncated at byte 135 (need 4 bytes per record)"
        ) { try NPYReader.read(images: images, labels: dir.write("y.npy", npyFile(descr: "|u1", shape: [3], payload: [0, 1, 2]))) }
    }

    func testBadMagicAndUnsupportedType() {
        let dir = ScratchDirectory()
        let labels = dir.write("y.npy", npyFile(descr: "|u1", shape: [1], payload: [0]))
        let notNPY = dir.write("x.npy", Array("PK\u{3}\u{4}zipfile".utf8))
        assertDataError(
            .badMagic(file: notNPY, found: [0x50, 0x4B, 3, 4, 0x7A, 0x69], expected: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]),
            message: "\(notNPY): bad magic 0x504b03047a69 (expected 0x934e554d5059)"
        ) { try NPYReader.read(images: notNPY, labels: labels) }
        let bigEndianFloats = dir.write("b.npy", npyFile(descr: ">f4", shape: [1, 1, 1], payload: [0, 0, 0, 0]))
        assertDataError(
            .unsupported(file: bigEndianFloats, detail: "element type '>f4'"), message: "\(bigEndianFloats): unsupported: element type '>f4'"
        ) { try NPYReader.read(images: bigEndianFloats, labels: labels) }
    }

    /// A gzip `.npy` is inflated no further than its shape implies plus one chunk: a bomb after
    /// the array, or a shape claiming far more than the file holds, is an error, not an allocation.
    func testGzipIsBoundedByTheHeaderShape() throws {
        let dir = ScratchDirectory()
        let labels = dir.write("labels.npy", npyFile(descr: "|u1", shape: [2], payload: [0, 1]))
        let bomb = dir.writeGzip("bomb.npy", npyFile(descr: "|u1", shape: [2, 2, 2], payload: [UInt8](repeating: 5, count: 8)), zeros: 64 << 20)
        assertDataError(
            .shapeMismatch(file: bomb, detail: "more than 1048576 bytes after the [2, 2, 2] array"),
            message: "\(bomb): shape mismatch: more than 1048576 bytes after the [2, 2, 2] array"
        ) { try NPYReader.read(images: bomb, labels: labels) }
        let claims = dir.writeGzip("claims.npy", npyFile(descr: "|u1", shape: [1 << 20, 1 << 20, 1 << 20], payload: [1, 2, 3]))
        assertDataError(
            .truncated(file: claims, offset: 131, expected: 1 << 40, record: 0),
            message: "\(claims): record 0 truncated at byte 131 (need 1,099,511,627,776 bytes per record)"
        ) { try NPYReader.read(images: claims, labels: labels) }
    }
}
