import XCTest
@testable import Core

/// What ``FloatValues`` records about the magnitudes it was checked against, and when it forgets.
final class FloatValuesTests: XCTestCase {
    func testACheckRecordsItsBoundOnlyWhenEveryValueIsWithin() {
        let limit: Float = 10
        // 8-wide lanes and a ragged tail: a bad value in the lanes, in the tail, and none.
        for (bad, badIndex) in [(Float.nan, 3), (.infinity, 20), (-10.5, 9), (11, 0), (Float(10), -1)] {
            var source = (0..<21).map { Float($0 % 7) - 3 }
            if badIndex >= 0 { source[badIndex] = bad } else { source[5] = bad }
            var values = FloatValues(source)
            XCTAssertEqual(values.verifyMagnitudes(within: limit), badIndex >= 0 ? badIndex : nil, "bad value \(bad)")
            XCTAssertEqual(values.checkedMagnitude, badIndex >= 0 ? nil : limit, "bad value \(bad) at \(badIndex)")
        }
        var none = FloatValues()
        XCTAssertNil(none.verifyMagnitudes(within: limit))
        XCTAssertEqual(none.checkedMagnitude, limit)
    }

    func testVerifyFindsTheFirstValueOutsideAndAWriteForgetsTheCheck() {
        var values = FloatValues([1, -2, .nan, 1e20])
        XCTAssertEqual(values.verifyMagnitudes(within: 5), 2)
        XCTAssertNil(values.checkedMagnitude)
        values[2] = 0
        XCTAssertEqual(values.verifyMagnitudes(within: 5), 3)
        values[3] = -5
        XCTAssertNil(values.verifyMagnitudes(within: 5))
        XCTAssertEqual(values.checkedMagnitude, 5)
        XCTAssertNil(values.verifyMagnitudes(within: 6), "a tighter bound already holds")
        XCTAssertEqual(values.checkedMagnitude, 5)
        XCTAssertEqual(values, FloatValues([1, -2, 0, -5]), "equality ignores the check")
        values[0] = 4
        XCTAssertNil(values.checkedMagnitude, "a write clears the check")
    }

    func testFrameHeldValuesStartUncheckedAndCanBeChecked() throws {
        let frame = Frame(floats: [Float](repeating: 2, count: 16))
        var values = try XCTUnwrap(FloatValues(frame: frame))
        XCTAssertNil(values.checkedMagnitude)
        XCTAssertNil(values.verifyMagnitudes(within: 2))
        XCTAssertEqual(values.checkedMagnitude, 2)
    }
}
