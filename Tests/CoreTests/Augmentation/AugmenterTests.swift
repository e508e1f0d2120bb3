import XCTest
@testable import Core

final class AugmenterTests: XCTestCase {
    /// A 4×4 one-channel image holding 1…16 row by row.
    private let image: [UInt8] = (1...16).map { UInt8($0) }

    private func run(_ config: Augmentation, _ placement: Augmenter.Placement, source: [UInt8]? = nil, channels: Int = 1) -> [UInt8] {
        let input = source ?? image
        let side = Int(Double(input.count / channels).squareRoot())
        var out = [UInt8](repeating: 99, count: input.count)
        Augmenter(config, height: side, width: side, channels: channels).apply(source: input, destination: &out, placement: placement)
        return out
    }

    func testShiftRightOneColumnNearest() {
        let out = run(Augmentation(widthShift: 0.25), .init(shiftX: 1))
        XCTAssertEqual(out, [1, 1, 2, 3, 5, 5, 6, 7, 9, 9, 10, 11, 13, 13, 14, 15])
    }

    func testShiftUpOneRowConstant() {
        let out = run(Augmentation(heightShift: 0.25, fill: .constant(0)), .init(shiftY: -1))
        XCTAssertEqual(out, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0, 0, 0, 0])
    }

    func testShiftLeftTwoColumnsConstant() {
        let out = run(Augmentation(widthShift: 0.5, fill: .constant(200)), .init(shiftX: -2))
        XCTAssertEqual(out, [3, 4, 200, 200, 7, 8, 200, 200, 11, 12, 200, 200, 15, 16, 200, 200])
    }

    func testFlip() {
        XCTAssertEqual(run(Augmentation(horizontalFlip: true), .init(flip: true)),
                       [4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9, 16, 15, 14, 13])
        // Channels of a pixel stay together: a 2×2 RGB image.
        let rgb: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        XCTAssertEqual(run(Augmentation(horizontalFlip: true), .init(flip: true), source: rgb, channels: 3),
                       [4, 5, 6, 1, 2, 3, 10, 11, 12, 7, 8, 9])
    }

    func testPadCropAtKnownOffsets() {
        let config = Augmentation(padCrop: 1)
        XCTAssertEqual(run(config, .init(cropY: 0, cropX: 0)), [0, 0, 0, 0, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11])
        XCTAssertEqual(run(config, .init(cropY: 2, cropX: 1)), [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0, 0, 0, 0])
        XCTAssertEqual(run(config, .init(cropY: 1, cropX: 1)), image)
    }

    func testOrderIsPadCropThenShiftThenFlip() {
        // Pad-crop at (0, 0) gives rows 0000 / 0123 / 0567 / 0 9 10 11; shifting right with nearest fill
        // repeats column 0, then the flip mirrors: flipping before the shift would give 3 3 2 1 in row 1.
        let config = Augmentation(widthShift: 0.25, horizontalFlip: true, padCrop: 1)
        let out = run(config, .init(cropY: 0, cropX: 0, shiftX: 1, flip: true))
        XCTAssertEqual(out, [0, 0, 0, 0, 2, 1, 0, 0, 6, 5, 0, 0, 10, 9, 0, 0])
    }

    func testNoneIsIdentity() {
        let data = SyntheticShapes.make(count: 3, seed: 8)
        var out = [UInt8](repeating: 0, count: data.images.count)
        out.withUnsafeMutableBufferPointer {
            augmentBatch(dataset: data, indices: [0, 1, 2], augmentation: .none, seed: 1, epoch: 4, into: $0)
        }
        XCTAssertEqual(out, data.images)
    }

    func testDrawsCoverTheDocumentedRanges() {
        let augmenter = Augmenter(Augmentation(widthShift: 0.1, heightShift: 0.2, horizontalFlip: true, padCrop: 2),
                                  height: 32, width: 32, channels: 3)
        XCTAssertEqual([augmenter.maxShiftX, augmenter.maxShiftY], [3, 6])  // round(3.2), round(6.4)
        let placements = (0..<3000).map { augmenter.placement(random: KeyedRandom(seed: 5, UInt64($0))) }
        XCTAssertEqual(Set(placements.map(\.shiftX)), Set(-3...3))
        XCTAssertEqual(Set(placements.map(\.shiftY)), Set(-6...6))
        XCTAssertEqual(Set(placements.map(\.cropY)), Set(0...4))
        XCTAssertEqual(Set(placements.map(\.cropX)), Set(0...4))
        XCTAssert((1300...1700).contains(placements.filter(\.flip).count), "flips \(placements.filter(\.flip).count) of 3000")
    }

    func testSameKeySameImageDifferentKeyDifferentImage() {
        let data = SyntheticShapes.make(count: 1, seed: 2)
        let config = Augmentation(widthShift: 0.125, heightShift: 0.125, horizontalFlip: true, padCrop: 4)
        let augmenter = Augmenter(config, height: 32, width: 32, channels: 3)
        func augmented(_ key: UInt64) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 3072)
            augmenter.apply(source: data.images, destination: &out, random: KeyedRandom(seed: key))
            return out
        }
        XCTAssertEqual(augmented(7), augmented(7))
        let outputs = Set((0..<20).map { augmented($0) })
        XCTAssertGreaterThanOrEqual(outputs.count, 18)
    }

    func testBatchUsesPerSampleKeys() {
        let data = SyntheticShapes.make(count: 6, seed: 3)
        let config = Augmentation(widthShift: 0.1, horizontalFlip: true, padCrop: 4)
        func batch(_ indices: [Int], epoch: Int) -> [[UInt8]] {
            var out = [UInt8](repeating: 0, count: indices.count * 3072)
            out.withUnsafeMutableBufferPointer {
                augmentBatch(dataset: data, indices: indices, augmentation: config, seed: 10, epoch: epoch, into: $0)
            }
            return (0..<indices.count).map { Array(out[($0 * 3072)..<(($0 + 1) * 3072)]) }
        }
        let a = batch([5, 1, 4], epoch: 2)
        let b = batch([4, 0, 5], epoch: 2)
        XCTAssertEqual(a[0], b[2])  // sample 5 in either batch, any position
        XCTAssertEqual(a[2], b[0])  // sample 4
        var single = [UInt8](repeating: 0, count: 3072)
        Augmenter(config, height: 32, width: 32, channels: 3).apply(
            source: Array(data.images[(1 * 3072)..<(2 * 3072)]), destination: &single, random: KeyedRandom(seed: 10, 1, 2, 1))
        XCTAssertEqual(a[1], single)
        XCTAssertNotEqual(batch([5, 1, 4], epoch: 3), a)
    }
}
