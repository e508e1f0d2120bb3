import XCTest
@testable import Core

/// ``transpose(_:rows:columns:into:)``: every value lands where it belongs, bit for bit, with
/// full 16 x 16 blocks and ragged edges on either side.
final class TransposeTests: XCTestCase {
    func testEveryValueLandsInItsTransposedPlace() {
        for (rows, columns) in [(1, 1), (1, 40), (40, 1), (16, 16), (15, 17), (17, 15), (33, 64), (800, 64), (64, 784), (5, 100)] {
            // Distinct bit patterns, a NaN payload and a negative zero among them: moved, never computed.
            var source = (0..<rows * columns).map { Float(bitPattern: 0x3F80_0000 &+ UInt32($0) &* 2_654_435_761 >> 9) }
            source[0] = -0.0
            if source.count > 2 { source[source.count / 2] = Float(bitPattern: 0x7FC0_1234) }
            var fast = [Float](repeating: .infinity, count: rows * columns)
            var plain = fast
            source.withUnsafeBufferPointer { s in
                fast.withUnsafeMutableBufferPointer { transpose(s.baseAddress!, rows: rows, columns: columns, into: $0.baseAddress!) }
                plain.withUnsafeMutableBufferPointer {
                    transposeElementwise(s.baseAddress!, rows: rows, columns: columns, into: $0.baseAddress!)
                }
            }
            var expected = [UInt32](repeating: 0, count: rows * columns)
            for r in 0..<rows { for c in 0..<columns { expected[c * rows + r] = source[r * columns + c].bitPattern } }
            XCTAssertEqual(fast.map(\.bitPattern), expected, "\(rows) x \(columns)")
            XCTAssertEqual(plain.map(\.bitPattern), expected, "\(rows) x \(columns), element by element")
        }
    }
}
