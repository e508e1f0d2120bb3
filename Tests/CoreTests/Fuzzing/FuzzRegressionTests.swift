import XCTest
@testable import Core
import FuzzHarness

/// Inputs libFuzzer found that trapped, kept in `Tests/FuzzCorpus/<target>/crash-*`, each with
/// the typed error it must now give.
final class FuzzRegressionTests: XCTestCase {
    private let scratch = FuzzScratch(label: "regression")

    override func tearDown() {
        scratch.remove()
    }

    /// The corpus file `name` of `target`.
    private func crash(_ target: FuzzTarget, _ name: String) throws -> [UInt8] {
        try AtomicFile.read(FuzzCorpus.directory(of: target, root: FuzzSeeds.corpusRoot) + "/" + name)
    }

    /// A model file whose `distill.normalization_std` is `0.` trapped in `Normalization`'s precondition.
    func testModelFileWithZeroStandardDeviation() throws {
        let path = scratch.write("model.safetensors", try crash(.modelFile, "crash-std-zero"))
        XCTAssertThrowsError(try ModelFile.read(path)) { error in
            XCTAssertEqual("\(error)", "\(path): invalid normalisation: std[0] = 0.0, expected a finite number > 0")
        }
    }
}
