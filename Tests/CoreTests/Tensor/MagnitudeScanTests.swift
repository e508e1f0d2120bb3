import XCTest
@testable import Core

final class MagnitudeScanTests: XCTestCase {
    func testFindsTheFirstBadValueWhereverItIs() {
        // Lengths around the 8-lane step and the 1024-float block; the bad value in a lane, in
        // the ragged tail, at the very end; NaN, both infinities, and beyond a finite limit.
        for count in [1, 7, 8, 9, 1023, 1024, 1025, 3001] {
            let clean = (0..<count).map { Float(($0 % 37) - 18) / 3 }
            XCTAssertNil(MagnitudeScan.firstNonFinite(clean), "\(count) clean values")
            for position in Set([0, count / 2, count - 1, max(count - 3, 0)]) {
                for bad in [Float.nan, .infinity, -.infinity, -.nan] {
                    var values = clean
                    values[position] = bad
                    if position + 1 < count { values[count - 1] = .nan }  // a later one must not win
                    XCTAssertEqual(MagnitudeScan.firstNonFinite(values), position, "\(bad) at \(position) of \(count)")
                }
                var large = clean
                large[position] = -7
                XCTAssertEqual(large.withUnsafeBufferPointer { MagnitudeScan.firstIndex(beyond: 6.5, in: $0) }, position)
                XCTAssertNil(large.withUnsafeBufferPointer { MagnitudeScan.firstIndex(beyond: 7, in: $0) }, "the limit itself is inside")
            }
        }
        XCTAssertNil(MagnitudeScan.firstNonFinite([]))
        XCTAssertNil(MagnitudeScan.firstNonFinite([.greatestFiniteMagnitude, -.greatestFiniteMagnitude]))
    }
}
