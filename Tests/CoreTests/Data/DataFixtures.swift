import CZlib
import Foundation
import XCTest
@testable import Core

/// A scratch directory for data files written by one test, removed when the test ends.
final class ScratchDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "distill-data-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` inside the directory and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let file = path + "/" + name
        XCTAssert(FileManager.default.createFile(atPath: file, contents: Data(bytes)), file)
        return file
    }

    /// Writes `bytes` gzip-compressed (through zlib's gzwrite) to `name` and returns the full path;
    /// `zeros` more zero bytes follow them, written 1 MiB at a time (a decompression bomb needs no
    /// big buffer to be made).
    @discardableResult
    func writeGzip(_ name: String, _ bytes: [UInt8], zeros: Int = 0) -> String {
        let file = path + "/" + name
        let handle = gzopen(file, "wb")!
        XCTAssertEqual(bytes.withUnsafeBytes { gzwrite(handle, $0.baseAddress, UInt32($0.count)) }, Int32(bytes.count))
        let block = [UInt8](repeating: 0, count: 1 << 20)
        var left = zeros
        while left > 0 {
            let n = min(left, block.count)
            XCTAssertEqual(block.withUnsafeBytes { gzwrite(handle, $0.baseAddress, UInt32(n)) }, Int32(n))
            left -= n
        }
        XCTAssertEqual(gzclose(handle), Z_OK)
        return file
    }
}

/// Asserts that `body` throws exactly `expected` and that its message reads `message`.
func assertDataError<T>(
    _ expected: DataError, message: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) {
    do {
        _ = try body()
        XCTFail("expected \(expected)", file: file, line: line)
    } catch let error as DataError {
        XCTAssertEqual(error, expected, file: file, line: line)
        XCTAssertEqual(error.description, message, file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

/// Big-endian bytes of a UInt32, as IDX headers store dimensions.
func bigEndian(_ value: Int) -> [UInt8] {
    [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

/// A NumPy `.npy` file of format `version` holding `payload` with the given `descr` and shape.
func npyFile(descr: String, shape: [Int], payload: [UInt8], fortranOrder: Bool = false, version: UInt8 = 1) -> [UInt8] {
    let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(dims), }"
    let prefix = version == 1 ? 10 : 12
    while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let length = header.utf8.count
    let lengthBytes: [UInt8] = version == 1
        ? [UInt8(length & 0xFF), UInt8(length >> 8)]
        : [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), 0, 0]
    return [0x93] + Array("NUMPY".utf8) + [version, 0] + lengthBytes + Array(header.utf8) + payload
}

/// Little-endian bytes of each value.
func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
}

/// Little-endian bytes of Float32 values.
func littleEndian(_ values: [Float]) -> [UInt8] { littleEndian(values.map(\.bitPattern)) }

/// The process's peak resident set size so far, in bytes (`getrusage`; Linux reports KiB).
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
