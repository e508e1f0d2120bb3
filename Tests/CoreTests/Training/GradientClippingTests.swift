import XCTest
@testable import Core

final class GradientClippingTests: XCTestCase {
    private func clip(_ values: [Float], value: Float = 0, norm: Float = 0) -> ([Float], GradientClipping.Outcome) {
        var g = values
        let outcome = g.withUnsafeMutableBufferPointer { GradientClipping(maxValue: value, maxNorm: norm).apply(to: $0) }
        return (g, outcome)
    }

    func testOffMeasuresAndLeavesTheGradient() {
        let (g, outcome) = clip([3, -4])
        XCTAssertEqual(g, [3, -4])
        XCTAssertEqual(outcome, .init(norm: 5, clipped: false))
    }

    func testNormScalesDownToTheBoundOnlyAboveIt() {
        let (g, outcome) = clip([3, -4], norm: 1)
        XCTAssertEqual(g[0], 0.6, accuracy: 1e-7)
        XCTAssertEqual(g[1], -0.8, accuracy: 1e-7)
        XCTAssertEqual(outcome, .init(norm: 5, clipped: true), "the norm before clipping")
        XCTAssertEqual(clip([3, -4], norm: 5).1.clipped, false, "exactly at the bound")
        XCTAssertEqual(clip([3, -4], norm: 6).0, [3, -4])
    }

    func testValueClampsElementsThenNormScalesWhatIsLeft() {
        XCTAssertEqual(clip([3, -4, 0.5], value: 1).0, [1, -1, 0.5])
        XCTAssertEqual(clip([0.5, -0.25], value: 1).1.clipped, false)
        let (g, outcome) = clip([3, -4], value: 3, norm: 3)
        let norm = (9 + 9 as Float).squareRoot()
        XCTAssertEqual(g[0], 3 * 3 / norm, accuracy: 1e-6, "clamped to [3, -3], then scaled to norm 3")
        XCTAssertEqual(g[1], -3 * 3 / norm, accuracy: 1e-6)
        XCTAssertTrue(outcome.clipped)
    }

    func testNonFiniteGradientsAreReportedAndNotTouched() {
        for bad in [Float.nan, .infinity, -.infinity] {
            let (g, outcome) = clip([1, bad, 2], value: 1, norm: 1)
            XCTAssertFalse(outcome.norm.isFinite, "\(bad)")
            XCTAssertFalse(outcome.clipped)
            XCTAssertEqual(g[0], 1)
            XCTAssertEqual(g[2], 2)
        }
        XCTAssertTrue(clip([.greatestFiniteMagnitude, -.greatestFiniteMagnitude]).1.norm.isFinite, "Float's largest squares fit a Double")
    }

    func testNegativeBoundsAreConfigurationErrorsNamingTheKey() {
        var config = RunConfig()
        for key in ["optimizer.clip_norm", "optimizer.clip_value"] {
            XCTAssertThrowsError(try config.apply(override: "\(key)=-1")) { error in
                XCTAssertTrue("\(error)".hasPrefix("--set: \(key) = '-1' is invalid: expected a number in [0, "), "\(error)")
            }
        }
        XCTAssertThrowsError(try config.apply(override: "train.divergence_factor=0.5")) { error in
            XCTAssertTrue("\(error)".contains("train.divergence_factor"), "\(error)")
        }
    }
}
