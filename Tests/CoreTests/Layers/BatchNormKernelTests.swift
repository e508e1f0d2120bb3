import CBatchNorm
import XCTest
@testable import Core

/// `CBatchNorm`'s passes give the bits of the plain loops their header states (the variant this
/// CPU picks: AVX-512F, AVX2 or baseline), for channel counts around every vector width and for
/// rows of a convolution's and a dense layer's statistics.
final class BatchNormKernelTests: XCTestCase {
    private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
    private func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

    func testEveryPassHasTheBitsOfItsPlainLoop() {
        for (rows, channels) in [(1, 1), (7, 3), (33, 17), (64, 64), (5, 100), (1000, 32)] {
            let label = "\(rows) rows of \(channels) channels"
            let x = GradientCheck.randomValues(rows * channels, seed: UInt64(rows * 1000 + channels), scale: 3)
            let dy = GradientCheck.randomValues(rows * channels, seed: UInt64(rows * 1000 + channels + 1))
            let perChannel = { (seed: UInt64) in GradientCheck.randomValues(channels, seed: seed) }
            let (gamma, beta, k, a, b) = (perChannel(1), perChannel(2), perChannel(3), perChannel(4), perChannel(5))
            let mean = perChannel(6).map(Double.init), floatMean = perChannel(7), inverse = perChannel(8).map { 1 + abs($0) }

            var sums = [Double](repeating: 0, count: channels), expectedSums = sums
            distill_batchnorm_sums(x, rows, channels, &sums)
            for r in 0..<rows { for j in 0..<channels { expectedSums[j] += Double(x[r * channels + j]) } }
            XCTAssertEqual(bits(sums), bits(expectedSums), "sums, \(label)")

            var squares = [Double](repeating: .nan, count: channels), expectedSquares = [Double](repeating: 0, count: channels)
            distill_batchnorm_centred_squares(x, rows, channels, mean, &squares)
            for r in 0..<rows {
                for j in 0..<channels {
                    let d = Double(x[r * channels + j]) - mean[j]
                    expectedSquares[j] += d * d
                }
            }
            XCTAssertEqual(bits(squares), bits(expectedSquares), "centred squares, \(label)")

            var normalized = [Float](repeating: .nan, count: rows * channels), y = normalized
            var expectedNormalized = normalized, expectedY = normalized
            distill_batchnorm_normalize(x, rows, channels, floatMean, inverse, gamma, beta, &normalized, &y)
            for i in 0..<rows * channels {
                let j = i % channels, h = (x[i] - floatMean[j]) * inverse[j]
                expectedNormalized[i] = h
                expectedY[i] = gamma[j] * h + beta[j]
            }
            XCTAssertEqual(bits(normalized), bits(expectedNormalized), "normalized, \(label)")
            XCTAssertEqual(bits(y), bits(expectedY), "y, \(label)")

            var gradientSums = [Double](repeating: .nan, count: channels), products = gradientSums
            var expectedGradientSums = [Double](repeating: 0, count: channels), expectedProducts = expectedGradientSums
            distill_batchnorm_gradient_sums(dy, normalized, rows, channels, &gradientSums, &products)
            for i in 0..<rows * channels {
                let j = i % channels, d = Double(dy[i])
                expectedGradientSums[j] += d
                expectedProducts[j] += d * Double(normalized[i])
            }
            XCTAssertEqual(bits(gradientSums), bits(expectedGradientSums), "gradient sums, \(label)")
            XCTAssertEqual(bits(products), bits(expectedProducts), "gradient products, \(label)")

            var dx = [Float](repeating: .nan, count: rows * channels), expectedDx = dx
            distill_batchnorm_input_gradient(dy, normalized, rows, channels, k, a, b, &dx)
            for i in 0..<rows * channels {
                let j = i % channels
                expectedDx[i] = k[j] * (dy[i] - a[j] - normalized[i] * b[j])
            }
            XCTAssertEqual(bits(dx), bits(expectedDx), "input gradient, \(label)")

            var affine = [Float](repeating: .nan, count: rows * channels), expectedAffine = affine
            distill_batchnorm_affine(x, rows, channels, gamma, beta, &affine)
            for i in 0..<rows * channels { expectedAffine[i] = x[i] * gamma[i % channels] + beta[i % channels] }
            XCTAssertEqual(bits(affine), bits(expectedAffine), "affine, \(label)")
        }
    }
}
