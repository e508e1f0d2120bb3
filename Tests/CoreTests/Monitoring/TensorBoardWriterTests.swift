import XCTest
@testable import Core

/// TFRecord framing and TensorBoard `Event` encoding against vectors computed independently
/// (a bitwise CRC-32C in Python; the Event bytes as TensorBoard's own protobuf classes serialise them).
final class TensorBoardWriterTests: XCTestCase {
    func testMaskedCRCKnownVectors() {
        XCTAssertEqual(TFRecordWriter.maskedCRC(Array("123456789".utf8)), 0xC78A_B0E5)
        XCTAssertEqual(TFRecordWriter.maskedCRC([]), 0xA282_EAD8)
        XCTAssertEqual(TFRecordWriter.maskedCRC([UInt8](repeating: 0, count: 8)), 0x0798_0329)
    }

    func testFrameOfEmptyAndShortRecords() {
        XCTAssertEqual(TFRecordWriter.frame([]), [0, 0, 0, 0, 0, 0, 0, 0, 0x29, 0x03, 0x98, 0x07, 0xD8, 0xEA, 0x82, 0xA2])
        let data = Array("123456789".utf8)
        let framed = TFRecordWriter.frame(data)
        XCTAssertEqual(framed.count, 8 + 4 + 9 + 4)
        XCTAssertEqual(Array(framed[0..<8]), [9, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(framed[12..<21]), data)
        XCTAssertEqual(Array(framed[21...]), [0xE5, 0xB0, 0x8A, 0xC7])
    }

    func testEventBytesMatchTensorBoardsProtobuf() {
        // event_pb2.Event(wall_time=1.5, step=0, file_version="brain.Event:2").SerializeToString()
        XCTAssertEqual(hex(TensorBoardWriter.event(wallTime: 1.5, step: 0, fileVersion: "brain.Event:2")),
                       "09000000000000f83f1a0d627261696e2e4576656e743a32")
        // Event(wall_time=1.5, step=300, summary=Summary(value=[Value(tag="loss/total", simple_value=0.25)]))
        XCTAssertEqual(hex(TensorBoardWriter.event(wallTime: 1.5, step: 300, scalars: [("loss/total", 0.25)])),
                       "09000000000000f83f10ac022a130a110a0a6c6f73732f746f74616c150000803e")
    }

    func testWriterNamesTheFileAsTensorBoardExpectsAndStartsWithTheVersion() throws {
        let folder = NSTemporaryDirectory() + "/distill-tb-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let writer = try TensorBoardWriter(directory: folder, now: Date(timeIntervalSince1970: 1_700_000_000))
        try writer.write(step: 3, scalars: [("learning_rate", 0.5)], wallTime: Date(timeIntervalSince1970: 1_700_000_001))
        let name = (writer.path as NSString).lastPathComponent
        XCTAssertTrue(name.hasPrefix("events.out.tfevents.1700000000."), name)
        let bytes = try AtomicFile.read(writer.path)
        let first = TFRecordWriter.frame(TensorBoardWriter.event(wallTime: 1_700_000_000, step: 0, fileVersion: "brain.Event:2"))
        XCTAssertEqual(Array(bytes.prefix(first.count)), first)
        XCTAssertEqual(Array(bytes.dropFirst(first.count)),
                       TFRecordWriter.frame(TensorBoardWriter.event(wallTime: 1_700_000_001, step: 3, scalars: [("learning_rate", 0.5)])))
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
