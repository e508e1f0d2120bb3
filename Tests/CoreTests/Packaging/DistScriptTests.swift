import Foundation
import XCTest
@testable import Core

/// `make dist` (scripts/dist.sh): the two release binaries carry the Swift runtime inside, so a
/// worker host needs no toolchain; `ldd` lists no Swift library, and the worker runs.
final class DistScriptTests: XCTestCase {
    /// Shared libraries a binary built with --static-swift-stdlib must not need.
    private static let swiftLibraries = ["libswift", "libFoundation", "libdispatch", "libBlocksRuntime"]

    private func run(_ executable: String, _ arguments: [String], in folder: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: folder)
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testDistBinariesNeedNoSwiftLibraries() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ldd") else { throw XCTSkip("ldd not found (/usr/bin/ldd): cannot list the binaries' libraries") }
        let root = FuzzSeeds.repositoryRoot
        let built = try run("/bin/bash", ["scripts/dist.sh"], in: root)
        XCTAssertEqual(built.status, 0, built.output)
        for product in ["distill-coordinator", "distill-worker"] {
            let binary = root + "/dist/" + product
            let ldd = try run("/usr/bin/ldd", [binary], in: root)
            XCTAssertEqual(ldd.status, 0, ldd.output)
            XCTAssertTrue(ldd.output.contains("libzmq.so.5"), "\(product) links libzmq dynamically: \(ldd.output)")
            for library in DistScriptTests.swiftLibraries {
                XCTAssertFalse(ldd.output.contains(library), "\(product) needs \(library):\n\(ldd.output)")
            }
            XCTAssertFalse(ldd.output.contains("not found"), ldd.output)
        }
        let help = try run(root + "/dist/distill-worker", ["--help"], in: root)
        XCTAssertEqual(help.status, 0, help.output)
        XCTAssertTrue(help.output.contains("--threads"), help.output)
    }
}
