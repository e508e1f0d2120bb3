import CGEMM
import XCTest
@testable import Core

/// `distill_transpose`: every value lands where it belongs, bit for bit, with full 16 x 16
/// blocks and ragged edges on either side, and with row strides wider than the rows.
final class TransposeTests: XCTestCase {
    func testEveryValueLandsInItsTransposedPlace() throws {
        try XCTSkipUnless(distill_gemm_available() != 0, "distill_transpose needs AVX-512F, which this CPU lacks")
        for (rows, columns) in [(1, 1), (1, 40), (40, 1), (16, 16), (15, 17), (17, 15), (33, 64), (800, 64), (64, 784), (5, 100)] {
            for pad in [0, 3] {
                let lds = columns + pad, ldd = rows + pad
                // Distinct bit patterns, a NaN payload and a negative zero among them: moved, never computed.
                var source = (0..<rows * lds).map { Float(bitPattern: 0x3F80_0000 &+ UInt32($0) &* 2_654_435_761 >> 9) }
                source[0] = -0.0
                if source.count > 2 { source[source.count / 2] = Float(bitPattern: 0x7FC0_1234) }
                var out = [Float](repeating: .infinity, count: columns * ldd)
                let status = source.withUnsafeBufferPointer { s in
                    out.withUnsafeMutableBufferPointer { distill_transpose(rows, columns, s.baseAddress!, lds, $0.baseAddress!, ldd) }
                }
                XCTAssertEqual(status, 0)
                var expected = [UInt32](repeating: Float.infinity.bitPattern, count: columns * ldd)
                for r in 0..<rows { for c in 0..<columns { expected[c * ldd + r] = source[r * lds + c].bitPattern } }
                XCTAssertEqual(out.map(\.bitPattern), expected, "\(rows) x \(columns), padding \(pad)")
            }
        }
    }
}
