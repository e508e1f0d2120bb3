import Foundation
import XCTest
@testable import Core
import FuzzHarness

/// The deterministic slice of `make fuzz`: every committed seed of `Tests/FuzzCorpus/<target>/`
/// and a fixed set of keyed mutants of them go through the same ``FuzzTarget`` harness as the
/// libFuzzer campaigns. Passing means no input trapped (a trap kills the test process) and every
/// rejection was the target's own typed error.
final class FuzzSliceTests: XCTestCase {
    /// Mutants per target; the wire decoder, reachable by any peer, gets the most.
    private static func mutants(of target: FuzzTarget) -> UInt64 { target == .wire ? 3000 : 400 }

    func testWire() throws { try runSlice(.wire) }
    func testIDX() throws { try runSlice(.idx) }
    func testIDXGzip() throws { try runSlice(.idxGzip) }
    func testNPY() throws { try runSlice(.npy) }
    func testCIFAR10() throws { try runSlice(.cifar10) }
    func testSafeTensors() throws { try runSlice(.safetensors) }
    func testCheckpoint() throws { try runSlice(.checkpoint) }
    func testModelFile() throws { try runSlice(.modelFile) }
    func testModelSpec() throws { try runSlice(.modelSpec) }
    func testConfig() throws { try runSlice(.config) }
    func testONNX() throws { try runSlice(.onnx) }

    /// Every generated seed is a valid input its target accepts (so fuzzing starts deep in the
    /// decoder); with `DISTILL_WRITE_FUZZ_SEEDS=1` the seeds are (re)written into the corpus.
    func testSeedsAreAccepted() throws {
        let write = ProcessInfo.processInfo.environment["DISTILL_WRITE_FUZZ_SEEDS"] == "1"
        let scratch = FuzzScratch(label: "seeds")
        defer { scratch.remove() }
        for target in FuzzTarget.allCases {
            for seed in try FuzzSeeds.seeds(of: target) {
                if case let .rejected(error) = target.run(seed.bytes, in: scratch) {
                    XCTFail("\(target.rawValue) seed \(seed.name) rejected: \(error)")
                }
                if write {
                    let folder = FuzzCorpus.directory(of: target, root: FuzzSeeds.corpusRoot)
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                    try AtomicFile.write(seed.bytes, to: folder + "/seed-" + seed.name)
                }
            }
        }
    }

    /// The corpus splits into parts and joins back byte for byte (the form of multi-file inputs).
    func testFramesRoundTrip() {
        let parts: [[UInt8]] = [[1, 2, 3], [], [0xFF]]
        XCTAssertEqual(FuzzFrames.split(FuzzFrames.join(parts)), parts)
        XCTAssertEqual(FuzzFrames.split([9, 0, 0, 0, 1, 2]), [[1, 2]], "a length past the end takes what is left")
        XCTAssertEqual(FuzzFrames.split([5, 0]), [[5, 0]], "fewer than four bytes form one part")
        XCTAssertEqual(FuzzFrames.split([]), [])
    }

    /// A resealed wire input decodes to the message it was made from.
    func testWireInputRoundTrip() throws {
        for sample in WireSample.all {
            let decoded = try WireCodec.decode(FuzzTarget.wireFrames(FuzzTarget.wireInput(sample.frames)))
            XCTAssertEqual(decoded.message, sample.message, sample.name)
        }
    }

    private func runSlice(_ target: FuzzTarget, file: StaticString = #filePath, line: UInt = #line) throws {
        let seeds = FuzzCorpus.seeds(of: target, root: FuzzSeeds.corpusRoot)
        XCTAssertFalse(seeds.isEmpty, "no seeds in \(FuzzCorpus.directory(of: target, root: FuzzSeeds.corpusRoot))", file: file, line: line)
        guard !seeds.isEmpty else { return }
        let scratch = FuzzScratch(label: "slice-\(target.rawValue)")
        defer { scratch.remove() }
        var rejected = 0
        func check(_ bytes: [UInt8], _ name: @autoclosure () -> String) {
            switch target.run(bytes, in: scratch) {
            case .accepted: break
            case .rejected: rejected += 1
            case let .untyped(error):
                XCTFail("\(target.rawValue) \(name()): untyped \(type(of: error)): \(error)", file: file, line: line)
            }
        }
        for seed in seeds { check(seed.bytes, seed.name) }
        let mutator = FuzzMutator(seeds: seeds.map(\.bytes), key: 0xF022)
        let count = FuzzSliceTests.mutants(of: target)
        for n in 0..<count { check(mutator.mutant(n), "mutant \(n)") }
        XCTAssertGreaterThan(rejected, 0, "no mutant of \(target.rawValue) was rejected: the slice is not reaching the checks",
                             file: file, line: line)
    }
}
