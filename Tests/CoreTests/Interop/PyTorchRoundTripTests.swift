import Foundation
import XCTest
@testable import Core
@testable import Interop

/// PyTorch export and import without Python: names, layouts and the way back.
final class PyTorchRoundTripTests: XCTestCase {
    private var scratch: String!

    override func setUp() {
        scratch = NSTemporaryDirectory() + "/distill-torch-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }

    func testStateDictUsesPyTorchNamesLayoutsAndCounters() throws {
        let file = try InteropFixtures.model(InteropFixtures.pooled, inputShape: [12, 10, 3])
        let path = scratch + "/m.safetensors"
        XCTAssertEqual(try PyTorchExport.write(file, to: path), scratch + "/m.py")
        let st = try SafeTensors.decode(try AtomicFile.read(path), source: path, acceptingIntegers: true)
        XCTAssertEqual(st.tensors.map(\.name), ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "6.weight", "6.bias"])
        XCTAssertEqual(st.tensors[0].shape, [8, 3, 3, 3])
        XCTAssertEqual(st.tensors[6].shape, [10, 8])
        XCTAssertEqual(st.integerTensors.map(\.name), ["1.num_batches_tracked"])
        XCTAssertEqual(st.integerTensors[0].shape, [])
        // OIHW [o, i, y, x] holds Distill's HWIO [y, x, i, o].
        let hwio = Array(file.parameters.values[0..<(3 * 3 * 3 * 8)])
        let (o, i, y, x) = (5, 2, 1, 0)
        let oihwIndex: Int = ((o * 3 + i) * 3 + y) * 3 + x
        let hwioIndex: Int = ((y * 3 + x) * 3 + i) * 8 + o
        XCTAssertEqual(st.tensors[0].values[oihwIndex], hwio[hwioIndex])
        let python = try String(contentsOfFile: scratch + "/m.py", encoding: .utf8)
        for line in ["nn.AdaptiveAvgPool2d(1),  # 4", "nn.Flatten(),  # 5", "nn.Linear(8, 10, bias=True),  # 6", "WEIGHTS = os.path.join"] {
            XCTAssertTrue(python.contains(line), line)
        }
        XCTAssertThrowsError(try SafeTensors.decode(try AtomicFile.read(path), source: path)) {
            XCTAssertEqual(($0 as? SafeTensorsError)?.problem, .unsupportedDType(tensor: "1.num_batches_tracked", dtype: "I64"))
        }
    }

    func testExportThenImportGivesTheSameParameters() throws {
        for (spec, shape) in [(InteropFixtures.cnn, [16, 16, 3]), (InteropFixtures.pooled, [12, 10, 3]), (try ModelSpec.load("hinton-teacher"), [28, 28, 1])] {
            let file = try InteropFixtures.model(spec, inputShape: shape)
            let path = scratch + "/\(spec.name).safetensors"
            try PyTorchExport.write(file, to: path)
            let back = try PyTorchImport.read(path, spec: nil, inputShape: nil, preprocessing: nil).modelFile(role: "teacher", source: path)
            XCTAssertEqual(back.parameters.sha256(), file.parameters.sha256(), spec.name)
            XCTAssertEqual(back.normalization, file.normalization)
            XCTAssertEqual(back.spec.layers.map(\.typeName), spec.layers.map(\.typeName))
        }
    }

    func testStateDictMappedByLayerOrderOntoASpec() throws {
        let file = try InteropFixtures.model(InteropFixtures.pooled, inputShape: [12, 10, 3])
        let path = scratch + "/m.safetensors"
        try PyTorchExport.write(file, to: path)
        // The same arrays under other module names, without Distill's metadata (as a torch user saves them).
        let st = try SafeTensors.decode(try AtomicFile.read(path), source: path, acceptingIntegers: true)
        let rename = ["0": "features.2", "1": "features.10", "6": "head.0"]
        func renamed(_ name: String) -> String { let p = name.split(separator: ".", maxSplits: 1); return rename[String(p[0])]! + "." + p[1] }
        let plain = scratch + "/plain.safetensors"
        try AtomicFile.write(SafeTensors(tensors: st.tensors.map { (renamed($0.name), $0.shape, $0.values) },
                                         integerTensors: st.integerTensors.map { (renamed($0.name), $0.shape, $0.values) }).encoded(), to: plain)
        let back = try PyTorchImport.read(plain, spec: InteropFixtures.pooled, inputShape: [3, 12, 10], preprocessing: file.normalization)
            .modelFile(role: "teacher", source: plain)
        XCTAssertEqual(back.parameters.sha256(), file.parameters.sha256())

        XCTAssertThrowsError(try PyTorchImport.read(plain, spec: nil, inputShape: [3, 12, 10], preprocessing: nil)) {
            XCTAssertTrue("\($0)".contains("pass --spec"), "\($0)")
        }
        let other = ModelSpec(name: "other", layers: [.conv2d(filters: 8, kernel: 3, stride: 1, padding: .same, bias: true), .relu,
                                                      .globalAvgPool, .dense(units: nil, bias: true)])
        XCTAssertThrowsError(try PyTorchImport.read(plain, spec: other, inputShape: [3, 12, 10], preprocessing: nil)) {
            XCTAssertEqual("\($0)", "\(plain): layer 3 (linear): module 'features.10' has arrays [\"bias\", \"num_batches_tracked\", "
                + "\"running_mean\", \"running_var\", \"weight\"], expected [\"weight\", \"bias\"]")
        }
    }

    func testHostileMetadataIsRefusedBeforeAllocating() throws {
        let path = scratch + "/hostile.safetensors"
        let spec = #"{"name":"x","layers":[{"type":"flatten"},{"type":"dense","units":65536},{"type":"dense"}]}"#
        for (shape, expected) in [("100,100,3", "more than the 6 available"), ("-1,4,3", "input shape [-1, 4, 3]")] {
            try AtomicFile.write(SafeTensors(tensors: [("0.weight", [3, 2], [1, 2, 3, 4, 5, 6])],
                                             metadata: [ModelFile.Key.spec: spec, ModelFile.Key.inputShape: shape]).encoded(), to: path)
            XCTAssertThrowsError(try PyTorchImport.read(path, spec: nil, inputShape: nil, preprocessing: nil)) {
                XCTAssertTrue("\($0)".contains(expected), "\($0)")
            }
        }
    }

    func testLayersPyTorchCannotExpressAreNamed() throws {
        let asymmetricAverage = ModelSpec(name: "a", layers: [.avgPool2D(size: 2, stride: 2, padding: .same), .flatten, .dense(units: nil, bias: true)])
        let file = try InteropFixtures.model(asymmetricAverage, inputShape: [5, 5, 1])
        XCTAssertThrowsError(try PyTorchExport.write(file, to: scratch + "/a.safetensors")) {
            XCTAssertEqual(($0 as? InteropError).map { "\($0)" }?.hasPrefix("layer 0 (avgpool2d) cannot be exported to pytorch"), true, "\($0)")
        }
        XCTAssertNoThrow(try ONNXExport.write(file, to: scratch + "/a.onnx"))
        let residual = try InteropFixtures.model(ModelSpec(name: "r", layers: [.basicBlock(filters: 2, stride: 1), .globalAvgPool, .dense(units: nil, bias: true)]),
                                                 inputShape: [4, 4, 2])
        XCTAssertThrowsError(try ONNXExport.write(residual, to: scratch + "/r.onnx")) {
            guard case .unsupportedLayer(0, "basicblock", "onnx", _)? = $0 as? InteropError else { return XCTFail("\($0)") }
        }
    }

    func testLayerOrderComparesNumbersAsNumbers() {
        let names = ["features.10", "classifier.0", "features.2", "features.2.sub", "1", "10", "9"]
        XCTAssertEqual(names.sorted(by: PyTorchImport.layerOrder), ["1", "9", "10", "classifier.0", "features.2", "features.2.sub", "features.10"])
    }
}
