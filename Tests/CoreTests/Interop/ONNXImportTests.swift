import Foundation
import ONNXProto
import XCTest
@testable import Core
@testable import Interop

/// ONNX import without Python: Distill's own exports read back, and every malformed or unsupported
/// graph rejected with a typed error naming the node, operator or field.
final class ONNXImportTests: XCTestCase {
    private var scratch: String!

    override func setUp() {
        scratch = NSTemporaryDirectory() + "/distill-onnx-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }

    private func exported(_ spec: ModelSpec = InteropFixtures.cnn, inputShape: [Int] = [16, 16, 3]) throws -> (ModelFile, Onnx_ModelProto) {
        let file = try InteropFixtures.model(spec, inputShape: inputShape)
        return (file, ONNXExport.modelProto(try PortableModel(file, format: "onnx")))
    }

    private func write(_ proto: Onnx_ModelProto, _ name: String = "model.onnx") throws -> String {
        let path = scratch + "/" + name
        try AtomicFile.write(try proto.serializedBytes(), to: path)
        return path
    }

    private func importError(_ proto: Onnx_ModelProto) throws -> InteropError? {
        let path = try write(proto)
        do {
            _ = try ONNXImport.read(path).modelFile(role: "teacher", source: path)
            return nil
        } catch let error as InteropError {
            return error
        }
    }

    func testExportReadsBackWithTheSameLogits() throws {
        for (spec, shape) in [(InteropFixtures.cnn, [16, 16, 3]), (InteropFixtures.pooled, [12, 10, 3]), (try ModelSpec.load("hinton-student"), [28, 28, 1])] {
            let (file, proto) = try exported(spec, inputShape: shape)
            let path = try write(proto)
            let imported = try ONNXImport.read(path).modelFile(role: "teacher", source: path)
            XCTAssertEqual(imported.inputShape, file.inputShape)
            XCTAssertEqual(Array(imported.parameters.values[0..<file.parameters.layout.parameterCount]),
                           Array(file.parameters.values[0..<file.parameters.layout.parameterCount]), spec.name)
            let images = InteropFixtures.images(count: 4, shape: shape)
            let a = try Prediction(file: file, images: images, shape: [4] + shape, source: "a").logits
            let b = try Prediction(file: imported, images: images, shape: [4] + shape, source: "b").logits
            XCTAssertLessThanOrEqual(InteropFixtures.relativeDifference(b, a), 1e-5, spec.name)
        }
    }

    func testUnsupportedOperatorNamesNodeAndOperator() throws {
        var (_, proto) = try exported()
        proto.graph.node[3].opType = "Sigmoid"
        proto.graph.node[3].name = "mystery"
        let error = try importError(proto)
        XCTAssertEqual(error, .unsupportedOperator(file: scratch + "/model.onnx", node: "mystery", op: "Sigmoid"))
        XCTAssertTrue("\(error!)".contains("node 'mystery' uses operator Sigmoid"), "\(error!)")
    }

    func testOperatorOfAnotherDomainIsUnsupported() throws {
        var (_, proto) = try exported()
        proto.graph.node[2].domain = "com.microsoft"
        guard case let .unsupportedOperator(_, _, op)? = try importError(proto) else { return XCTFail("accepted") }
        XCTAssertEqual(op, "com.microsoft.Conv")
    }

    func testBranchingGraphIsRejected() throws {
        var (_, proto) = try exported()
        proto.graph.node[4].input[0] = "images"
        guard case let .badNode(_, _, _, detail)? = try importError(proto) else { return XCTFail("accepted") }
        XCTAssertTrue(detail.contains("only sequential graphs"), detail)
    }

    func testConvAttributesOutsideWhatDistillSupports() throws {
        let conv = { (proto: Onnx_ModelProto) in proto.graph.node.firstIndex { $0.opType == "Conv" }! }
        for (name, value, expected) in [("dilations", [2, 2], "dilations"), ("strides", [1, 2], "strides"), ("pads", [1, 1, 9, 1], "pads")] {
            var (_, proto) = try exported()
            let i = conv(proto)
            proto.graph.node[i].attribute.removeAll { $0.name == name }
            proto.graph.node[i].attribute.append(.ints(name, value))
            guard case let .badNode(_, node, op, detail)? = try importError(proto) else { return XCTFail("\(name) accepted") }
            XCTAssertEqual(op, "Conv")
            XCTAssertEqual(node, proto.graph.node[i].name)
            XCTAssertTrue(detail.contains(expected), detail)
        }
        var (_, proto) = try exported()
        proto.graph.node[conv(proto)].attribute.removeAll { $0.name == "group" }
        proto.graph.node[conv(proto)].attribute.append(.int("group", 2))
        guard case let .badNode(_, _, _, detail)? = try importError(proto) else { return XCTFail("group 2 accepted") }
        XCTAssertTrue(detail.contains("group 2"), detail)
    }

    func testPaddingThatIsNeitherValidNorSameIsRejected() throws {
        var (_, proto) = try exported()
        let i = proto.graph.node.firstIndex { $0.opType == "Conv" }!
        proto.graph.node[i].attribute.removeAll { $0.name == "pads" }
        proto.graph.node[i].attribute.append(.ints("pads", [0, 0, 2, 2]))
        guard case let .badLayer(_, index, kind, detail)? = try importError(proto) else { return XCTFail("accepted") }
        XCTAssertEqual([String(index), kind], ["0", "conv"])
        XCTAssertTrue(detail.contains("same padding"), detail)
    }

    func testMalformedTensorsAndFilesAreTypedErrors() throws {
        var (_, proto) = try exported()
        proto.graph.initializer[2].rawData.removeLast()
        guard case .badFile? = try importError(proto) else { return XCTFail("short raw_data accepted") }
        (_, proto) = try exported()
        proto.graph.initializer[2].dims = [1 << 40, 1 << 40]
        guard case .badFile? = try importError(proto) else { return XCTFail("huge dims accepted") }
        (_, proto) = try exported()
        proto.graph.initializer[2].dataType = 11
        guard case .badFile? = try importError(proto) else { return XCTFail("float64 accepted") }
        let garbage = scratch + "/garbage.onnx"
        try AtomicFile.write([0xFF, 0xFF, 0xFF, 0x0A, 0x01], to: garbage)
        XCTAssertThrowsError(try ONNXImport.read(garbage)) { XCTAssertTrue($0 is InteropError, "\($0)") }
    }

    /// Truncations and keyed byte flips of a valid export: each imports or fails with a typed error, never traps.
    func testMutatedFilesNeverTrap() throws {
        let (_, proto) = try exported(InteropFixtures.pooled, inputShape: [12, 10, 3])
        let bytes: [UInt8] = try proto.serializedBytes()
        var random = InteropFixtures.Stream(state: 9)
        var rejected = 0
        for trial in 0..<300 {
            var mutated = bytes
            if trial % 3 == 0 {
                mutated = Array(bytes.prefix(Int(random.next() * Float(bytes.count))))
            } else {
                for _ in 0..<(1 + trial % 4) { mutated[Int(random.next() * Float(bytes.count - 1))] = UInt8(random.next() * 256) }
            }
            let path = scratch + "/mutant.onnx"
            try AtomicFile.write(mutated, to: path)
            do {
                _ = try ONNXImport.read(path).modelFile(role: "teacher", source: path)
            } catch is InteropError, is ModelSpecError, is DataError {
                rejected += 1
            }
        }
        XCTAssertGreaterThan(rejected, 100)
    }
}
