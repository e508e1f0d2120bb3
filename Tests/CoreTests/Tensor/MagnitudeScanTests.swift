import XCTest
@testable import Core

final class MagnitudeScanTests: XCTestCase {
    func testFindsTheFirstBadValueWhereverItIs() {
        // Lengths around the vector widths (4, 8, 16 lanes) and their unrolled loops; the bad
        // value in a lane, in the ragged tail, at the very end; NaN, both infinities, and beyond
        // a finite limit.
        for count in [1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1023, 1024, 1025, 3001] {
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
        XCTAssertEqual(MagnitudeScan.firstNonFinite([1, 2, .signalingNaN]), 2, "a signalling NaN is not finite either")
        XCTAssertNil(MagnitudeScan.firstNonFinite([.greatestFiniteMagnitude, -.greatestFiniteMagnitude]))
    }

    func testALimitOfZeroNaNOrBelowZeroAdmitsWhatAbsSays() {
        // `!(abs(x) <= limit)`: a limit of −0 admits both zeros and nothing else; a NaN or
        // negative limit admits nothing.
        let zeros: [Float] = [0, -0.0, 0]
        for limit: Float in [0, -0.0] {
            XCTAssertNil(zeros.withUnsafeBufferPointer { MagnitudeScan.firstIndex(beyond: limit, in: $0) }, "\(limit)")
            XCTAssertEqual(([0, .leastNonzeroMagnitude] as [Float]).withUnsafeBufferPointer { MagnitudeScan.firstIndex(beyond: limit, in: $0) }, 1)
        }
        for limit: Float in [.nan, -1, -.infinity] {
            XCTAssertEqual(zeros.withUnsafeBufferPointer { MagnitudeScan.firstIndex(beyond: limit, in: $0) }, 0, "\(limit)")
        }
        XCTAssertNil([Float.infinity, -.infinity].withUnsafeBufferPointer { MagnitudeScan.firstIndex(beyond: .infinity, in: $0) })
        XCTAssertEqual([Float.infinity, .nan].withUnsafeBufferPointer { MagnitudeScan.firstIndex(beyond: .infinity, in: $0) }, 1)
    }
}
