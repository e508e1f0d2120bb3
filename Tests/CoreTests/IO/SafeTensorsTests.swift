import XCTest
@testable import Core

final class SafeTensorsTests: XCTestCase {
    private let sample = SafeTensors(
        tensors: [
            (name: "conv1/kernel", shape: [3, 3, 1, 2], values: (0..<18).map { Float($0) * 0.25 - 2 }),
            (name: "scalar", shape: [], values: [-0.0]),
            (name: "empty", shape: [0, 4], values: []),
            (name: "odd \"name\"\\\n", shape: [4], values: [.infinity, -.infinity, .nan, .leastNonzeroMagnitude]),
        ],
        metadata: ["format": "distill", "note": "quote \" and ünïcode"])

    /// A file with the given JSON header text (unpadded) and data bytes.
    private func file(_ header: String, data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        return (0..<8).map { UInt8(truncatingIfNeeded: h.count >> (8 * $0)) } + h + data
    }

    private func assertProblem(_ bytes: [UInt8], _ problem: SafeTensorsError.Problem, _ text: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.decode(bytes, source: "model.safetensors"), file: file, line: line) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.problem, problem, file: file, line: line)
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("model.safetensors: ") && message.contains(text), message, file: file, line: line)
        }
    }

    func testRoundTripPreservesOrderValuesAndMetadata() throws {
        let bytes = sample.encoded()
        XCTAssertEqual(bytes[0] % 8, 0, "header padded to a multiple of 8 bytes")
        XCTAssertEqual(bytes.count, 8 + Int(bytes[0]) + Int(bytes[1]) * 256 + 4 * 23)
        let decoded = try SafeTensors.decode(bytes, source: "sample")
        XCTAssertEqual(decoded.metadata, sample.metadata)
        XCTAssertEqual(decoded.tensors.count, sample.tensors.count)
        for (a, b) in zip(decoded.tensors, sample.tensors) {
            XCTAssertEqual(a.name, b.name)
            XCTAssertEqual(a.shape, b.shape)
            XCTAssertEqual(a.values.map(\.bitPattern), b.values.map(\.bitPattern), a.name)
        }
        XCTAssertEqual(decoded.encoded(), bytes)
    }

    func testReadsHandWrittenReferenceLayout() throws {
        // As written by the Python `safetensors` package: metadata first, header padded with spaces,
        // tensors listed out of offset order.
        let header = #"{"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}   "#
        let data: [UInt8] = [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0xc0]  // 1.0, 2.0, -3.0
        let decoded = try SafeTensors.decode(file(header, data: data), source: "ref")
        XCTAssertEqual(decoded.tensors.map(\.name), ["a", "b"])
        XCTAssertEqual(decoded.tensors.map(\.values), [[1, 2], [-3]])
        XCTAssertEqual(decoded.metadata, ["format": "pt"])
        let encoded = SafeTensors(tensors: [(name: "a", shape: [2], values: [1, 2])]).encoded()
        let expectedHeader = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        XCTAssertEqual(encoded, file(expectedHeader + "  ", data: Array(data[0..<8])))
    }

    func testEveryTruncatedPrefixThrows() {
        let bytes = sample.encoded()
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try SafeTensors.decode(Array(bytes[..<length]), source: "cut"), "prefix of \(length) bytes")
        }
    }

    func testCorruptFilesThrowUsefulErrors() {
        let four: [UInt8] = [UInt8](repeating: 0, count: 4)
        assertProblem([1, 2, 3], .missingHeaderLength(fileLength: 3), "fewer than the 8-byte header length")
        assertProblem([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7b, 0x7d],
                      .headerLengthOutOfRange(headerLength: .max, available: 2), "exceeds the 2 bytes")
        assertProblem(file(#"{"a":{"dtype":"F32""#, data: four), .headerNotJSONObject, "not a valid JSON object")
        assertProblem(file("[1, 2]", data: []), .headerNotJSONObject, "not a valid JSON object")
        assertProblem(file(#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: four),
                      .unsupportedDType(tensor: "w", dtype: "F16"), "tensor 'w': dtype F16 is not supported")
        assertProblem(file(#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: four),
                      .invalidField(tensor: "w", field: "dtype", reason: "is missing or not a string"), "field 'dtype'")
        assertProblem(file(#"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, data: four),
                      .invalidField(tensor: "w", field: "shape", reason: "is not an array of non-negative integers"), "field 'shape'")
        assertProblem(file(#"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: four),
                      .invalidField(tensor: "w", field: "shape", reason: "is not an array of non-negative integers"), "field 'shape'")
        assertProblem(file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: four),
                      .invalidField(tensor: "w", field: "data_offsets", reason: "is not [begin, end] with 0 ≤ begin ≤ end"),
                      "field 'data_offsets'")
        assertProblem(file(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: four + four),
                      .sizeMismatch(tensor: "w", shape: [3], expectedBytes: 12, spanBytes: 8), "shape [3] needs 12 bytes but data_offsets span 8")
        assertProblem(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                           data: four + four + four),
                      .notContiguous(tensor: "b", begin: 4, expected: 8), "overlaps the previous tensor")
        assertProblem(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                           data: four + four + four),
                      .notContiguous(tensor: "b", begin: 8, expected: 4), "gap after the previous tensor")
        assertProblem(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: four + [0]),
                      .dataLengthMismatch(expected: 4, actual: 5), "trailing bytes")
        assertProblem(file(#"{"__metadata__":{"epoch":3}}"#, data: []),
                      .invalidMetadata(reason: "value of 'epoch' is not a string"), "__metadata__ value of 'epoch'")
    }
}
