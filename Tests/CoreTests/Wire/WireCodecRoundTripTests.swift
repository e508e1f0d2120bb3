import XCTest
@testable import Core

final class WireCodecRoundTripTests: XCTestCase {
    func testEveryKindIsCovered() {
        XCTAssertEqual(Set(WireSample.all.map { $0.message.kind }), Set(WireKind.allCases))
    }

    func testEveryMessageRoundTrips() throws {
        for sample in WireSample.all {
            let (header, message) = try WireCodec.decode(sample.frames.frames)
            XCTAssertEqual(message, sample.message, sample.name)
            XCTAssertEqual(header.kind, sample.message.kind, sample.name)
            XCTAssertEqual(header.version, 4, sample.name)
            XCTAssertEqual(header.runID, sample.runID, sample.name)
            XCTAssertEqual(header.step, sample.step, sample.name)
            XCTAssertEqual(header.parameterVersion, sample.parameterVersion, sample.name)
        }
    }

    func testHeaderLayoutIsLittleEndianAt52Bytes() throws {
        let frames = WireCodec.encode(.ready(credit: 0x0102_0304), runID: 0x1122_3344_5566_7788, step: 9, parameterVersion: 10).byteArrays
        let header = frames[0]
        XCTAssertEqual(header.count, 52)
        XCTAssertEqual(Array(header[0..<4]), Array("DSTL".utf8))
        XCTAssertEqual(Array(header[4..<8]), [4, 0, WireKind.ready.rawValue, 0])
        XCTAssertEqual(Array(header[8..<16]), [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        XCTAssertEqual(Array(header[32..<36]), [4, 0, 0, 0], "payload length")
        XCTAssertEqual(Array(header[40..<44]), [1, 0, 0, 0], "payload frame count")
        XCTAssertEqual(frames[1], [4, 3, 2, 1], "ready payload: credit u32 LE")
    }

    /// Float bulk frames are raw bytes, so every bit pattern survives, NaN payloads included.
    func testFloatBitPatternsSurvive() throws {
        let patterns: [UInt32] = [0x7FC0_0001, 0xFF80_0000, 0x8000_0000, 0x0000_0001, 0x7F7F_FFFF]
        let values = patterns.map { Float(bitPattern: $0) }
        let frames = WireCodec.encode(.parameters(ParametersPayload(version: 1, parameters: FloatValues(values), state: [])),
                                      runID: 1, step: 0, parameterVersion: 1)
        guard case .parameters(let p) = try WireCodec.decode(frames).message else { return XCTFail("wrong kind") }
        XCTAssertEqual(p.parameters.map(\.bitPattern), patterns)
    }

    /// The coordinator encodes parameters straight from the model's buffers: the same bytes as
    /// the payload's encoding.
    func testParametersFromBuffersAreTheBytesOfThePayload() throws {
        let parameters: [Float] = (0..<1000).map { Float($0) / 7 - 50 }, state: [Float] = [1, -2, 3.5]
        let direct = parameters.withUnsafeBufferPointer { p in
            state.withUnsafeBufferPointer { WireCodec.encodeParameters(version: 9, parameters: p, state: $0, runID: 77, step: 8) }
        }
        let payload = WireCodec.encode(.parameters(ParametersPayload(version: 9, parameters: FloatValues(parameters), state: FloatValues(state))),
                                       runID: 77, step: 8, parameterVersion: 9)
        XCTAssertEqual(direct, payload)
        guard case .parameters(let p) = try WireCodec.decode(direct).message else { return XCTFail("wrong kind") }
        XCTAssertEqual(p, ParametersPayload(version: 9, parameters: FloatValues(parameters), state: FloatValues(state)))
    }

    /// Large float frames are measured as they are checksummed: decoded values carry their
    /// largest magnitude as a checked bound, and values with a NaN or an infinity carry none.
    func testDecodedFloatsCarryTheMagnitudeTheChecksumPassMeasured() throws {
        func decoded(_ gradients: [Float]) throws -> FloatValues {
            let result = ShardResult(shardIndex: 0, loss: LossSums(total: 1, hard: 1, soft: 0, correct: 0, count: 1),
                                     batchStatistics: [], gradients: FloatValues(gradients), computeSeconds: 0)
            guard case .result(let r) = try WireCodec.decode(WireCodec.encode(.result(result), runID: 1, step: 0, parameterVersion: 0)).message
            else { XCTFail("wrong kind"); return [] }
            return r.gradients
        }
        var large = (0..<5000).map { Float($0 % 13) - 6 }
        large[4000] = -77
        XCTAssertEqual(try decoded(large).checkedMagnitude, 77)
        large[10] = .nan
        XCTAssertNil(try decoded(large).checkedMagnitude)
        XCTAssertNil(try decoded([1, 2, 3]).checkedMagnitude, "small frames are not measured")
    }
}
