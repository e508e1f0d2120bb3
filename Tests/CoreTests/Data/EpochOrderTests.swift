import XCTest
@testable import Core

final class EpochOrderTests: XCTestCase {
    func testIsAPermutation() {
        for count in [0, 1, 2, 7, 1000] {
            XCTAssertEqual(EpochOrder.permutation(count: count, seed: 3, epoch: 1).sorted(), Array(0..<count), "count \(count)")
        }
    }

    func testDeterministicAndVariesWithEpochAndSeed() {
        let order = EpochOrder.permutation(count: 500, seed: 42, epoch: 0)
        XCTAssertEqual(order, EpochOrder.permutation(count: 500, seed: 42, epoch: 0))
        XCTAssertNotEqual(order, EpochOrder.permutation(count: 500, seed: 42, epoch: 1))
        XCTAssertNotEqual(order, EpochOrder.permutation(count: 500, seed: 43, epoch: 0))
        XCTAssertNotEqual(order, Array(0..<500))
    }

    func testFirstPositionIsRoughlyUniform() {
        // Over 2,000 epochs each of 4 items should come first about 500 times (sd ≈ 19).
        var first = [0, 0, 0, 0]
        for epoch in 0..<2000 { first[EpochOrder.permutation(count: 4, seed: 1, epoch: epoch)[0]] += 1 }
        for (item, n) in first.enumerated() { XCTAssert((400...600).contains(n), "item \(item) first \(n) times") }
    }
}
