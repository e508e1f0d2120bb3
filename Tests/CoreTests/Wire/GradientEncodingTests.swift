import XCTest
@testable import Core

/// bfloat16 rounding (to nearest, ties to even; NaN and infinities kept) and the result's
/// gradient encoding on the wire.
final class GradientEncodingTests: XCTestCase {
    func testRoundsToNearestWithTiesToEven() {
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: the tie goes to the even mantissa, 1.
        XCTAssertEqual(BFloat16.float(BFloat16.bits(1 + 0x1p-8)), 1)
        // (1 + 2^-7) + 2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
        XCTAssertEqual(BFloat16.float(BFloat16.bits(1 + 0x1p-7 + 0x1p-8)), 1 + 0x1p-6)
        // Just above the tie rounds up, just below rounds down.
        XCTAssertEqual(BFloat16.float(BFloat16.bits((1 + 0x1p-8).nextUp)), 1 + 0x1p-7)
        XCTAssertEqual(BFloat16.float(BFloat16.bits((1 + 0x1p-8).nextDown)), 1)
        XCTAssertEqual(BFloat16.float(BFloat16.bits(-3.14159265)), -3.140625)
        XCTAssertEqual(BFloat16.bits(1), 0x3F80)
    }

    func testZeroSubnormalInfinityAndNaN() {
        XCTAssertEqual(BFloat16.bits(0), 0x0000)
        XCTAssertEqual(BFloat16.bits(-0.0), 0x8000)
        XCTAssertEqual(BFloat16.float(BFloat16.bits(Float.leastNonzeroMagnitude)), 0, "below half the least bfloat16 subnormal")
        XCTAssertEqual(BFloat16.bits(.infinity), 0x7F80)
        XCTAssertEqual(BFloat16.bits(-.infinity), 0xFF80)
        XCTAssertEqual(BFloat16.float(BFloat16.bits(.greatestFiniteMagnitude)), .infinity, "beyond the largest bfloat16")
        XCTAssertEqual(BFloat16.float(BFloat16.bits(3.3895314e38)), 3.3895314e38, "the largest bfloat16 stays finite")
        XCTAssertTrue(BFloat16.float(BFloat16.bits(.nan)).isNaN)
        XCTAssertTrue(BFloat16.float(BFloat16.bits(Float(bitPattern: 0x7F80_0001))).isNaN, "a NaN whose payload is only in the low half")
        XCTAssertEqual(BFloat16.bits(-Float.nan) & 0x8000, 0x8000, "a NaN keeps its sign")
    }

    func testRoundingInPlaceMatchesTheScalar() {
        var values: [Float] = (0..<1000).map { Float($0) * 0.0137 - 5 }
        let expected = values.map { BFloat16.float(BFloat16.bits($0)) }
        values.withUnsafeMutableBufferPointer { BFloat16.round($0) }
        XCTAssertEqual(values, expected)
        XCTAssertEqual(expected.map { BFloat16.float(BFloat16.bits($0)) }, expected, "rounding is idempotent")
    }

    func testBF16ResultSendsHalfTheGradientBytes() throws {
        let gradients = (0..<64).map { BFloat16.float(BFloat16.bits(Float($0) - 31.7)) }
        func frames(_ encoding: GradientEncoding) -> [[UInt8]] {
            WireCodec.encode(.result(ShardResult(shardIndex: 0, loss: LossSums(total: 1, hard: 1, soft: 0, correct: 0, count: 1),
                                                 batchStatistics: [], gradients: FloatValues(gradients), computeSeconds: 0,
                                                 gradientEncoding: encoding)),
                             runID: 1, step: 0, parameterVersion: 0).byteArrays
        }
        XCTAssertEqual(frames(.float32).last!.count, 4 * 64)
        XCTAssertEqual(frames(.bfloat16).last!.count, 2 * 64)
        guard case let .result(decoded) = try WireCodec.decode(frames(.bfloat16).frames).1 else { return XCTFail("not a result") }
        XCTAssertEqual(Array(decoded.gradients), gradients)
        XCTAssertEqual(decoded.gradientEncoding, .bfloat16)
    }

    func testUnknownGradientEncodingIsRejected() throws {
        var frames = WireCodec.encode(.result(ShardResult(shardIndex: 0, loss: LossSums(total: 1, hard: 1, soft: 0, correct: 0, count: 1),
                                                          batchStatistics: [], gradients: [1], computeSeconds: 0)),
                                      runID: 1, step: 0, parameterVersion: 0).byteArrays
        // The encoding byte follows shardIndex, count, three f64 sums, correct, f64 seconds and two counts.
        let offset = 4 + 4 + 3 * 8 + 4 + 8 + 4 + 4
        XCTAssertEqual(frames[1][offset], 0)
        frames[1][offset] = 2
        XCTAssertThrowsError(try WireCodec.decode(try resealed(frames).frames)) { error in
            XCTAssertEqual(error as? WireError, .unknownEncoding(field: "result.gradientEncoding", code: 2))
        }
    }

    func testConfigNames() {
        XCTAssertEqual(GradientEncoding(configName: "bf16"), .bfloat16)
        XCTAssertEqual(GradientEncoding(configName: "float32"), .float32)
        XCTAssertNil(GradientEncoding(configName: "fp16"))
        XCTAssertThrowsError(try RunConfig.load(path: nil, overrides: ["train.wire_gradients=fp16"]))
    }
}
