import Foundation
@testable import Core
import FuzzHarness
@testable import Interop

/// The seed corpus of every ``FuzzTarget``, built from real encodings: every ``WireSample``,
/// small valid data files of each format (raw and gzip IDX, NPY v1/v2 with byte, float and
/// integer elements, CIFAR-10 records), safetensors, a checkpoint, a model file, the preset
/// specs and the example configurations. `FuzzSliceTests.testWriteSeedCorpus` writes them to
/// `Tests/FuzzCorpus/<target>/` (run it again when an encoding changes).
enum FuzzSeeds {
    /// `Tests/FuzzCorpus` in this checkout.
    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("FuzzCorpus").path

    /// The checkout's root folder.
    static let repositoryRoot = URL(fileURLWithPath: corpusRoot).deletingLastPathComponent().deletingLastPathComponent().path

    /// Named seeds of `target`.
    static func seeds(of target: FuzzTarget) throws -> [(name: String, bytes: [UInt8])] {
        switch target {
        case .wire:
            return WireSample.all.enumerated().map { index, sample in
                (String(format: "%02d-", index) + sample.name.filter { $0.isLetter || $0.isNumber }, FuzzTarget.wireInput(sample.frames))
            }
        case .idx:
            return [("two-images", FuzzFrames.join([idx([0, 0, 8, 3], [2, 3, 2], (0..<12).map(UInt8.init)), idx([0, 0, 8, 1], [2], [7, 1])])),
                    ("one-pixel", FuzzFrames.join([idx([0, 0, 8, 3], [1, 1, 1], [200]), idx([0, 0, 8, 1], [1], [0])]))]
        case .idxGzip:
            return [("two-images", FuzzFrames.join([try gzip(idx([0, 0, 8, 3], [2, 3, 2], (0..<12).map(UInt8.init))),
                                                    try gzip(idx([0, 0, 8, 1], [2], [7, 1]))])),
                    ("gzip-images-raw-labels", FuzzFrames.join([try gzip(idx([0, 0, 8, 3], [1, 2, 2], [0, 64, 128, 255])),
                                                                idx([0, 0, 8, 1], [1], [9])]))]
        case .npy:
            return [("u1-images-i8-labels", FuzzFrames.join([npy("|u1", [2, 2, 2], (0..<8).map(UInt8.init)),
                                                             npy("<i8", [2], int64Bytes([3, 0]))])),
                     ("f4-rgb-images-u2-labels-v2", FuzzFrames.join([npy("<f4", [1, 2, 1, 3], floatBytes([0, 0.5, 1, 0.25, 0.75, 1]), major: 2),
                                                                    npy("<u2", [1], [9, 0])]))]
        case .cifar10:
            return [("one-record", cifarRecords(labels: [3])), ("two-records", cifarRecords(labels: [0, 9]))]
        case .safetensors:
            return [("two-tensors", SafeTensors(tensors: [("a", [2, 2], [1, -2, 3.5, 0]), ("b", [0], [])],
                                                metadata: ["k": "v", "ü": "\"x\"\n"]).encoded()),
                    ("empty", SafeTensors().encoded())]
        case .checkpoint:
            let checkpoint = Checkpoint(step: 3, stepsPerEpoch: 2, runID: 42, configSHA256: "c0ffee", teacherSHA256: "",
                                        values: [1, 2, 3], state: [0.5],
                                        optimizer: OptimizerState(kind: "Adam", step: 3, buffers: ["m": [0, 0, 1], "v": [1, 1, 1]]))
            return [("adam", checkpoint.encoded())]
        case .modelFile:
            let spec = try ModelSpec.parse("""
                name: fuzz-tiny
                layers:
                  - {type: conv2d, filters: 2, kernel: 3}
                  - {type: batchnorm}
                  - {type: relu}
                  - {type: globalavgpool}
                  - {type: dense}
                """, source: "fuzz seed")
            let network = try Network(spec: spec, inputShape: [4, 4, 1], classes: 3)
            let parameters = ModelParameters(layout: network.layout)
            for i in 0..<parameters.values.count { parameters.values[i] = Float(i % 7) * 0.125 - 0.25 }
            let scratch = FuzzScratch(label: "seed")
            defer { scratch.remove() }
            let path = scratch.directory + "/model.safetensors"
            try ModelFile(spec: spec, inputShape: [4, 4, 1], classes: 3, normalization: Normalization(mean: [0.5], std: [0.25]),
                          role: "student", parameters: parameters).write(to: path)
            return [("tiny", try AtomicFile.read(path))]
        case .modelSpec:
            return ModelPresets.names.map { ($0, Array(ModelPresets.named($0)!.yaml().utf8)) }
                + [("json", Array(ModelPresets.seedStudent.canonicalJSON().utf8))]
                + (try exampleFiles { $0.hasSuffix("-student.yaml") || $0.hasSuffix("-teacher.yaml") })
        case .config:
            return [("defaults", Array(RunConfig().yaml().utf8))]
                + (try exampleFiles { $0.hasSuffix(".yaml") && !$0.hasSuffix("-student.yaml") && !$0.hasSuffix("-teacher.yaml") })
        case .onnx:
            // Small exports covering every operator Distill writes.
            let convolutional = ModelSpec(name: "seed", layers: [
                .conv2d(filters: 2, kernel: 3, stride: 2, padding: .same, bias: true), .batchNorm(momentum: 0.99, epsilon: 1e-3),
                .leakyReLU(alpha: 0.1), .maxPool2D(size: 2, stride: 1, padding: .same), .avgPool2D(size: 2, stride: nil, padding: .valid),
                .dropout(rate: 0.5), .flatten, .dense(units: nil, bias: true)])
            let pooled = ModelSpec(name: "gap", layers: [.conv2d(filters: 2, kernel: 1, stride: 1, padding: .valid, bias: false), .relu,
                                                         .globalAvgPool, .dense(units: nil, bias: false)])
            return try [("cnn", convolutional), ("global-pool", pooled)].map { name, spec in
                let network = try Network(spec: spec, inputShape: [4, 4, 1], classes: 3)
                let parameters = ModelParameters(layout: network.layout)
                parameters.initialize(seed: 1)
                let file = ModelFile(spec: spec, inputShape: [4, 4, 1], classes: 3, normalization: .unit(channels: 1), role: "teacher", parameters: parameters)
                let bytes: [UInt8] = try ONNXExport.modelProto(try PortableModel(file, format: "onnx")).serializedBytes()
                return (name, bytes)
            }
        }
    }

    /// Files in `examples/` whose names pass `include`.
    private static func exampleFiles(_ include: (String) -> Bool) throws -> [(name: String, bytes: [UInt8])] {
        let folder = repositoryRoot + "/examples"
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter(include).sorted().map {
            ("example-" + $0, try AtomicFile.read(folder + "/" + $0))
        }
    }

    private static func idx(_ magic: [UInt8], _ dimensions: [UInt32], _ payload: [UInt8]) -> [UInt8] {
        magic + dimensions.flatMap { d in (0..<4).reversed().map { UInt8(truncatingIfNeeded: d >> (8 * $0)) } } + payload
    }

    private static func npy(_ descr: String, _ shape: [Int], _ data: [UInt8], major: UInt8 = 1) -> [UInt8] {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tuple), }".utf8)
        let prefix = major == 1 ? 10 : 12
        header += [UInt8](repeating: 0x20, count: (64 - (prefix + header.count + 1) % 64) % 64) + [0x0A]
        let length = major == 1 ? [UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
                                : (0..<4).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) }
        return NPYArray.magic + [major, 0] + length + header + data
    }

    private static func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    private static func int64Bytes(_ values: [Int64]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    }

    private static func cifarRecords(labels: [UInt8]) -> [UInt8] {
        labels.flatMap { label in [label] + (0..<(CIFAR10Reader.recordBytes - 1)).map { UInt8(truncatingIfNeeded: $0 &* Int(label + 1)) } }
    }

    /// `bytes` gzip-compressed through the test fixture.
    private static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let scratch = ScratchDirectory()
        return try AtomicFile.read(scratch.writeGzip("seed.gz", bytes))
    }
}
