import Foundation
import XCTest
@testable import Core

final class AtomicFileTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("atomicfile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    func testWriteReadOverwriteLeavesNoTemporaryFile() throws {
        let path = directory + "/data.bin"
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try AtomicFile.write(big, to: path)
        XCTAssertEqual(try AtomicFile.read(path), big)
        try AtomicFile.write([1, 2, 3], to: path)
        XCTAssertEqual(try AtomicFile.read(path), [1, 2, 3])
        try AtomicFile.write([], to: path)
        XCTAssertEqual(try AtomicFile.read(path), [])
        XCTAssertEqual(try listing(), ["data.bin"])
    }

    func testWriteIntoMissingDirectoryFailsCleanly() throws {
        let path = directory + "/missing/data.bin"
        XCTAssertThrowsError(try AtomicFile.write([1], to: path)) { error in
            let e = error as? IOError
            XCTAssertEqual(e?.operation, "open")
            XCTAssertEqual(e?.code, ENOENT)
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("No such file or directory"), "\(error)")
        }
        XCTAssertEqual(try listing(), [])
    }

    func testFailedRenameRemovesTemporaryFile() throws {
        // Renaming a file over a non-empty directory fails after the temporary file was written.
        let path = directory + "/occupied"
        try FileManager.default.createDirectory(atPath: path + "/inner", withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFile.write([1, 2], to: path)) { error in
            XCTAssertEqual((error as? IOError)?.operation, "rename")
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
        XCTAssertEqual(try listing(), ["occupied"])
    }

    func testReadMissingFileThrows() {
        XCTAssertThrowsError(try AtomicFile.read(directory + "/absent")) { error in
            XCTAssertEqual((error as? IOError)?.code, ENOENT)
            XCTAssertTrue("\(error)".contains("absent"), "\(error)")
        }
    }
}
