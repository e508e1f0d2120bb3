import Foundation
import XCTest
@testable import Core
@testable import Interop

/// `distill-coordinator predict`: logits equal to the evaluation forward pass for every image
/// format, the top classes printed, and malformed image files refused with errors naming them.
final class PredictCommandTests: XCTestCase {
    private var harness: ProcessHarness!

    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    func testLogitsMatchEvaluationForwardForNPYAndIDXImages() throws {
        let shape = [12, 10, 1]
        let file = try InteropFixtures.model(InteropFixtures.pooled, inputShape: shape)
        let run = harness.scratch + "/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try file.write(to: run + "/student.safetensors")
        let count = 300  // more than one chunk
        let images = InteropFixtures.images(count: count, shape: shape)

        // The evaluation path: a Dataset through LocalShardPool.evaluate and the executor's logits.
        let labels = (0..<count).map { Int32($0 % 10) }
        let dataset = try Dataset(images: images, labels: labels, height: 12, width: 10, channels: 1, classes: 10)
        let executor = try ShardExecutor(studentSpec: file.spec, studentParameters: file.parameters, teacher: nil, inputShape: shape,
                                         classes: 10, objective: .plain, normalization: file.normalization, seed: 0)
        let expected: [Float] = images.withUnsafeBufferPointer { p in
            let t = executor.logits(of: executor.student, images: p.baseAddress!, count: count)
            return Array(UnsafeBufferPointer(start: t.pointer, count: count * 10))
        }
        let evaluation = LocalShardPool(executors: [executor]).evaluate(dataset, batchSize: 64)

        try AtomicFile.write(NPYWriter.uint8(images, shape: [count, 12, 10]), to: harness.scratch + "/u8.npy")
        try AtomicFile.write(NPYWriter.float32(images.map { Float($0) / 255 }, shape: [count, 12, 10, 1]), to: harness.scratch + "/f32.npy")
        try AtomicFile.write([0, 0, 8, 3, 0, 0, 1, 44, 0, 0, 0, 12, 0, 0, 0, 10] + images, to: harness.scratch + "/images-idx3-ubyte")
        for input in ["u8.npy", "f32.npy", "images-idx3-ubyte"] {
            let p = try harness.start("distill-coordinator", ["predict", "--model", run, "--input", harness.scratch + "/" + input,
                                                              "--output", harness.scratch + "/\(input).logits.npy", "--top", "2"], label: input)
            XCTAssertEqual(harness.wait(p, timeout: 120), 0, harness.output(input))
            let logits = try NPYArray(path: harness.scratch + "/\(input).logits.npy")
            XCTAssertEqual(logits.element, .f4)
            XCTAssertEqual(logits.shape, [count, 10])
            let values = (0..<logits.count).map { Float(logits.double(at: $0)) }
            XCTAssertEqual(values, expected, input)
            let lines = harness.output(input).split(separator: "\n")
            XCTAssertEqual(lines.filter { $0.hasPrefix("0: ") || $0.hasPrefix("299: ") }.count, 2, input)
            XCTAssertEqual(lines.first?.split(separator: ",").count, 2, "--top 2: \(lines.first ?? "")")
            let correct = (0..<count).filter { i in
                let row = values[(i * 10)..<(i * 10 + 10)]
                return row.firstIndex(of: row.max()!)! - i * 10 == Int(labels[i])
            }.count
            XCTAssertEqual(Double(correct) / Double(count), evaluation.accuracy, accuracy: 1e-12)
        }
    }

    func testMalformedImageFilesAreTypedErrors() throws {
        let dir = harness.scratch
        let valid = NPYWriter.uint8([UInt8](repeating: 7, count: 2 * 4 * 4), shape: [2, 4, 4])
        let cases: [(String, [UInt8], (Error) -> Bool)] = [
            ("truncated.npy", Array(valid.prefix(valid.count - 3)), { if case .truncated? = $0 as? DataError { return true }; return false }),
            ("magic.npy", [0x50] + valid.dropFirst(), { if case .badMagic? = $0 as? DataError { return true }; return false }),
            ("float64.npy", valid.prefix(10) + Array(String(decoding: valid[10...], as: UTF8.self).replacingOccurrences(of: "|u1", with: "<f8").utf8),
             { if case .unsupported? = $0 as? DataError { return true }; return false }),
            ("rank2.npy", NPYWriter.uint8([1, 2, 3, 4], shape: [2, 2]), { if case .shapeMismatch? = $0 as? DataError { return true }; return false }),
            ("range.npy", NPYWriter.float32([300, 1, 2, 3], shape: [1, 2, 2]), { if case .pixelRange? = $0 as? DataError { return true }; return false }),
            ("short-idx3-ubyte", [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4, 1, 2], { if case .truncated? = $0 as? DataError { return true }; return false }),
        ]
        for (name, bytes, expected) in cases {
            try AtomicFile.write(bytes, to: dir + "/" + name)
            XCTAssertThrowsError(try Prediction.readImages(dir + "/" + name), name) { XCTAssertTrue(expected($0), "\(name): \($0)") }
        }
        let file = try InteropFixtures.model(InteropFixtures.pooled, inputShape: [12, 10, 1])
        try file.write(to: dir + "/m.safetensors")
        XCTAssertThrowsError(try Prediction(file: file, images: [UInt8](repeating: 0, count: 32), shape: [2, 4, 4, 1], source: "x.npy")) {
            XCTAssertEqual("\($0)", "x.npy: holds images of shape [2, 4, 4, 1] ([N, H, W, C]), the model takes [N] + [12, 10, 1]")
        }
        let p = try harness.start("distill-coordinator", ["predict", "--model", dir + "/m.safetensors", "--input", dir + "/truncated.npy"], label: "bad")
        XCTAssertEqual(harness.wait(p, timeout: 60), 1)
        XCTAssertTrue(harness.output("bad").contains("error: \(dir)/truncated.npy"), harness.output("bad"))
    }

    func testNPYWriterHeaderIsAlignedAndReadsBack() throws {
        let bytes = NPYWriter.float32([1, -2.5, .pi, 0, 7, 8], shape: [2, 3])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        XCTAssertEqual(bytes[10 + headerLength - 1], UInt8(ascii: "\n"))
        let path = harness.scratch + "/a.npy"
        try AtomicFile.write(bytes, to: path)
        let array = try NPYArray(path: path)
        XCTAssertEqual(array.shape, [2, 3])
        XCTAssertEqual((0..<6).map { Float(array.double(at: $0)) }, [1, -2.5, .pi, 0, 7, 8])
    }
}
