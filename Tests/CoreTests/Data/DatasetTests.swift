import XCTest
@testable import Core

final class DatasetTests: XCTestCase {
    func testCountsAndSizes() throws {
        let data = try Dataset(images: Array(repeating: 0, count: 24), labels: [0, 1], height: 2, width: 2, channels: 3, classes: 2)
        XCTAssertEqual([data.count, data.imageBytes], [2, 12])
    }

    func testPixelCountMismatch() {
        assertDataError(
            .shapeMismatch(file: "x.bin", detail: "23 pixel bytes for 2 images of 2×2×3"),
            message: "x.bin: shape mismatch: 23 pixel bytes for 2 images of 2×2×3"
        ) { try Dataset(images: Array(repeating: 0, count: 23), labels: [0, 1], height: 2, width: 2, channels: 3, classes: 2, source: "x.bin") }
    }

    func testLabelRange() {
        assertDataError(
            .labelOutOfRange(file: "dataset", record: 1, label: 2, classes: 2), message: "dataset: record 1 has label 2, outside 0..<2"
        ) { try Dataset(images: [0, 0], labels: [1, 2], height: 1, width: 1, channels: 1, classes: 2) }
    }
}
