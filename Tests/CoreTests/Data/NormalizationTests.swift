import Foundation
import XCTest
@testable import Core

final class NormalizationTests: XCTestCase {
    /// Two 1×2 images of two channels: channel 0 holds 0, 255, 255, 255; channel 1 is constant 51.
    private func tiny() throws -> Dataset {
        try Dataset(images: [0, 51, 255, 51, 255, 51, 255, 51], labels: [0, 1], height: 1, width: 2, channels: 2, classes: 2)
    }

    func testFitByHand() throws {
        let n = Normalization.fit(try tiny())
        // Channel 0: x/255 = 0, 1, 1, 1 → mean 0.75, variance 0.1875, std 0.4330127.
        assertClose(n.mean, [0.75, 0.2], rtol: 1e-6)
        assertClose(n.std, [0.433_012_7, 1], rtol: 1e-6)  // a constant channel gets std 1
    }

    func testApplyByHand() throws {
        let data = try tiny()
        let n = Normalization(mean: [0.5, 0.2], std: [0.25, 2])
        var out = [Float](repeating: .nan, count: 8)
        data.images.withUnsafeBufferPointer { n.apply($0.baseAddress!, count: 2, imageBytes: 4, channels: 2, into: &out) }
        // (0 − 0.5)/0.25 = −2, (1 − 0.5)/0.25 = 2, (0.2 − 0.2)/2 = 0
        assertClose(out, [-2, 0, 2, 0, 2, 0, 2, 0], atol: 1e-6)
    }

    func testEveryChannelCountHasTheBitsOfTheFormula() {
        // One channel takes a loop of its own; its bits must be those of the per-channel loop:
        // byte · (1 / (255·std)) + (−mean / std), a product then a sum.
        let bytes: [UInt8] = (0..<240).map { (i: Int) -> UInt8 in UInt8((i * 37 + 11) % 256) }
        for channels in [1, 2, 3, 4] {
            let mean: [Float] = (0..<channels).map { Float($0 + 1) / 7 }
            let std: [Float] = (0..<channels).map { Float($0 + 2) / 9 }
            let n = Normalization(mean: mean, std: std)
            var out = [Float](repeating: .nan, count: bytes.count)
            bytes.withUnsafeBufferPointer { n.apply($0.baseAddress!, count: 3, imageBytes: bytes.count / 3, channels: channels, into: &out) }
            let expected = bytes.indices.map { i -> Float in
                let k = i % channels
                let scale: Float = 1 / (255 * std[k]), shift: Float = -mean[k] / std[k]
                return Float(bytes[i]) * scale + shift
            }
            XCTAssertEqual(out.map { $0.bitPattern }, expected.map { $0.bitPattern }, "\(channels) channels")
        }
    }

    func testFittedDataHasZeroMeanUnitVariance() {
        let data = SyntheticShapes.make(count: 20, seed: 4)
        let n = Normalization.fit(data)
        var out = [Float](repeating: 0, count: data.images.count)
        data.images.withUnsafeBufferPointer { n.apply($0.baseAddress!, count: 20, imageBytes: 3072, channels: 3, into: &out) }
        for c in 0..<3 {
            let values = stride(from: c, to: out.count, by: 3).map { Double(out[$0]) }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            XCTAssertEqual(mean, 0, accuracy: 1e-4, "channel \(c)")
            XCTAssertEqual(variance, 1, accuracy: 1e-3, "channel \(c)")
        }
    }

    func testCodableRoundTrip() throws {
        let n = Normalization(mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6])
        XCTAssertEqual(try JSONDecoder().decode(Normalization.self, from: JSONEncoder().encode(n)), n)
    }
}
