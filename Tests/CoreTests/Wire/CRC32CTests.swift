import XCTest
@testable import Core

final class CRC32CTests: XCTestCase {
    func testStandardCheckValue() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.reference(Array("123456789".utf8)), 0xE306_9283)
    }

    func testEmptyInputIsZero() {
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    /// RFC 3720 (iSCSI) appendix B.4 vectors: 32 zero bytes and 32 bytes of 0xFF.
    func testISCSIVectors() {
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
    }

    /// Both kernels (the CRC32 instruction where the CPU has it, and slicing-by-8) against the
    /// bitwise definition, for every length 0...40 and every split point, so the 8-byte loops,
    /// the tails and incremental updates are covered.
    func testSlicingMatchesReferenceForAllLengthsAndSplits() {
        let random = KeyedRandom(seed: 11)
        let data = (0..<40).map { UInt8(truncatingIfNeeded: random.bits(UInt64($0))) }
        for length in 0...data.count {
            let bytes = Array(data[0..<length])
            let expected = CRC32C.reference(bytes)
            XCTAssertEqual(CRC32C.checksum(bytes), expected, "length \(length)")
            for split in 0...length {
                var crc = CRC32C(), sliced = CRC32C()
                crc.update(Array(bytes[0..<split]))
                crc.update(Array(bytes[split...]))
                Array(bytes[0..<split]).withUnsafeBytes { sliced.updateBySlicing($0) }
                Array(bytes[split...]).withUnsafeBytes { sliced.updateBySlicing($0) }
                XCTAssertEqual(crc.value, expected, "length \(length) split \(split)")
                XCTAssertEqual(sliced.value, expected, "slicing-by-8, length \(length) split \(split)")
            }
        }
    }

    /// Starts the kernel at every misalignment of an 8-byte word.
    func testUnalignedStartMatchesReference() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        data.withUnsafeBytes { buffer in
            for start in 0..<8 {
                var crc = CRC32C()
                crc.update(UnsafeRawBufferPointer(rebasing: buffer[start...]))
                XCTAssertEqual(crc.value, CRC32C.reference(Array(data[start...])), "start \(start)")
            }
        }
    }

    /// Inputs of three 4096-byte strands or more take the interleaved path: lengths around one
    /// and several blocks, started at odd offsets and split at odd points, against the definition.
    func testInterleavedBlocksMatchReference() {
        let block = 3 * 4096
        let data = (0..<(4 * block + 100)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        data.withUnsafeBytes { buffer in
            for length in [block - 1, block, block + 1, block + 7, 2 * block, 3 * block + 13, 4 * block + 99] {
                for start in [0, 1, 5] where start + length <= data.count {
                    let expected = CRC32C.reference(Array(data[start..<start + length]))
                    var whole = CRC32C()
                    whole.update(UnsafeRawBufferPointer(rebasing: buffer[start..<start + length]))
                    XCTAssertEqual(whole.value, expected, "length \(length) from \(start)")
                    let split = start + length / 3 + 3
                    var parts = CRC32C()
                    parts.update(UnsafeRawBufferPointer(rebasing: buffer[start..<split]))
                    parts.update(UnsafeRawBufferPointer(rebasing: buffer[split..<start + length]))
                    XCTAssertEqual(parts.value, expected, "length \(length) from \(start), split at \(split)")
                }
            }
        }
    }

    func testMeasuringFloatsChecksumsTheSameAndFindsTheLargestMagnitude() {
        let block = 3 * 4096
        for count in [0, 3, 8, 9, block / 4 - 1, block / 4, block / 4 + 5, 3 * block / 4 + 17] {
            var values = (0..<count).map { Float(($0 * 37) % 101 - 50) / 8 }
            var expected = values.map(abs).max() ?? 0
            if count > 4 {
                values[count / 2] = -1000.5  // in a block or in the tail
                expected = 1000.5
            }
            let bytes = values.withUnsafeBytes { Array($0) }
            var plain = CRC32C(), measuring = CRC32C(), slicing = CRC32C()
            plain.update(bytes)
            let largest = bytes.withUnsafeBytes { measuring.updateMeasuringFloats($0) }
            bytes.withUnsafeBytes { slicing.updateBySlicing($0) }
            XCTAssertEqual(measuring.value, plain.value, "\(count) floats")
            XCTAssertEqual(measuring.value, slicing.value)
            XCTAssertEqual(largest, expected, "\(count) floats")
        }
        for bad in [Float.nan, -.infinity, Float(bitPattern: 0xFFC0_0001)] {
            var values = [Float](repeating: 1, count: 5000)
            values[4321] = bad
            var crc = CRC32C()
            XCTAssertNil(values.withUnsafeBytes { crc.updateMeasuringFloats($0) }, "\(bad)")
        }
        var odd = CRC32C()
        XCTAssertNil([UInt8](repeating: 0, count: 4097).withUnsafeBytes { odd.updateMeasuringFloats($0) }, "not whole floats")
    }
}
