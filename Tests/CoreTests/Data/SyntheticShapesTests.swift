import XCTest
@testable import Core

final class SyntheticShapesTests: XCTestCase {
    func testSameSeedSameBytes() {
        let a = SyntheticShapes.make(count: 30, seed: 11)
        let b = SyntheticShapes.make(count: 30, seed: 11)
        XCTAssertEqual(a.images, b.images)
        XCTAssertEqual(a.labels, b.labels)
        XCTAssertNotEqual(SyntheticShapes.make(count: 30, seed: 12).images, a.images)
    }

    func testSampleIndependentOfCount() {
        let many = SyntheticShapes.make(count: 25, seed: 5)
        let slice = SyntheticShapes.make(count: 3, seed: 5, firstIndex: 20)
        XCTAssertEqual(Array(many.images[(20 * 3072)..<(23 * 3072)]), slice.images)
        XCTAssertEqual(Array(many.labels[20..<23]), slice.labels)
    }

    func testAllClassesPresentAndShape() {
        let data = SyntheticShapes.make(count: 40, seed: 1)
        XCTAssertEqual([data.height, data.width, data.channels, data.classes], [32, 32, 3, 10])
        XCTAssertEqual(Set(data.labels), Set(0..<10))
        XCTAssertEqual(SyntheticShapes.classNames.count, data.classes)
        // Images are not blank: every one spans more than 60 grey levels in some channel.
        for i in 0..<data.count {
            let image = data.images[(i * 3072)..<((i + 1) * 3072)]
            XCTAssertGreaterThan(Int(image.max()!) - Int(image.min()!), 60, "image \(i)")
        }
    }

    func testOtherSizes() {
        let data = SyntheticShapes.make(count: 10, seed: 3, height: 24, width: 40)
        XCTAssertEqual([data.height, data.width, data.images.count], [24, 40, 10 * 24 * 40 * 3])
    }

    func testBuiltinSplitsAreDisjoint() {
        let (train, test) = BuiltinData.load(trainCount: 50, testCount: 20, seed: 9)
        XCTAssertEqual([train.count, test.count], [50, 20])
        let trainImages = Set((0..<50).map { train.images[($0 * 3072)..<(($0 + 1) * 3072)] })
        for i in 0..<20 { XCTAssertFalse(trainImages.contains(test.images[(i * 3072)..<((i + 1) * 3072)]), "test \(i)") }
        XCTAssertEqual(Set(test.labels), Set(0..<10))
    }
}
