import XCTest
@testable import Core

/// The protobuf encoder against encodings from the protobuf encoding spec.
final class ProtobufWriterTests: XCTestCase {
    private func varint(_ value: UInt64) -> [UInt8] {
        var w = ProtobufWriter()
        w.appendVarint(value)
        return w.bytes
    }

    func testVarintsZeroOneMaxAndSpecExamples() {
        XCTAssertEqual(varint(0), [0x00])
        XCTAssertEqual(varint(1), [0x01])
        XCTAssertEqual(varint(127), [0x7F])
        XCTAssertEqual(varint(128), [0x80, 0x01])
        XCTAssertEqual(varint(150), [0x96, 0x01])
        XCTAssertEqual(varint(300), [0xAC, 0x02])
        XCTAssertEqual(varint(UInt64.max), [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    func testFieldsCarryKeyAndWireType() {
        var w = ProtobufWriter()
        w.varint(1, 150)
        XCTAssertEqual(w.bytes, [0x08, 0x96, 0x01])
        w = ProtobufWriter()
        w.string(2, "testing")
        XCTAssertEqual(w.bytes, [0x12, 0x07] + Array("testing".utf8))
        w = ProtobufWriter()
        w.double(1, 1.0)
        XCTAssertEqual(w.bytes, [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        w = ProtobufWriter()
        w.float(2, 1.0)
        XCTAssertEqual(w.bytes, [0x15, 0, 0, 0x80, 0x3F])
        w = ProtobufWriter()
        w.varint(2, UInt64(bitPattern: -1))
        XCTAssertEqual(w.bytes, [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    func testEmbeddedMessageIsLengthDelimited() {
        var inner = ProtobufWriter()
        inner.varint(1, 150)
        var outer = ProtobufWriter()
        outer.message(3, inner)
        XCTAssertEqual(outer.bytes, [0x1A, 0x03, 0x08, 0x96, 0x01])
        var empty = ProtobufWriter()
        empty.message(5, ProtobufWriter())
        XCTAssertEqual(empty.bytes, [0x2A, 0x00])
    }
}
