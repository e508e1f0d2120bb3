import Foundation
import XCTest
@testable import Core
@testable import Interop

/// Models with random weights and statistics, random images and the Python side of the interop tests.
enum InteropFixtures {
    /// A CNN with every exportable layer: same and valid padding, asymmetric pads (stride 2 on an
    /// even size), max pooling padded unequally, average pooling padded equally, a BatchNorm on
    /// flattened features (Distill's feature order differs from PyTorch's there) and dropout.
    static let cnn = ModelSpec(name: "interop-cnn", layers: [
        .conv2d(filters: 6, kernel: 3, stride: 1, padding: .same, bias: true),
        .batchNorm(momentum: 0.9, epsilon: 1e-3),
        .leakyReLU(alpha: 0.1),
        .maxPool2D(size: 3, stride: 2, padding: .same),
        .conv2d(filters: 5, kernel: 3, stride: 2, padding: .same, bias: false),
        .batchNorm(momentum: 0.99, epsilon: 1e-3),
        .relu,
        .avgPool2D(size: 3, stride: 1, padding: .same),
        .conv2d(filters: 4, kernel: 2, stride: 1, padding: .valid, bias: true),
        .dropout(rate: 0.3),
        .flatten,
        .batchNorm(momentum: 0.99, epsilon: 1e-3),
        .dense(units: 12, bias: true),
        .relu,
        .dense(units: nil, bias: true),
    ])

    /// A CNN ending in a global average pool.
    static let pooled = ModelSpec(name: "interop-gap", layers: [
        .conv2d(filters: 8, kernel: 3, stride: 1, padding: .same, bias: true),
        .batchNorm(momentum: 0.99, epsilon: 1e-3),
        .relu,
        .avgPool2D(size: 2, stride: nil, padding: .valid),
        .globalAvgPool,
        .dense(units: nil, bias: true),
    ])

    /// A deterministic stream of floats in [0, 1) (an LCG; tests only).
    struct Stream {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * next() }
    }

    /// `spec` with initialised weights and random biases, BatchNorm scales, shifts and running statistics.
    static func model(_ spec: ModelSpec, inputShape: [Int], classes: Int = 10, seed: UInt64 = 1) throws -> ModelFile {
        let network = try Network(spec: spec, inputShape: inputShape, classes: classes)
        let parameters = ModelParameters(layout: network.layout)
        parameters.initialize(seed: seed)
        var random = Stream(state: seed)
        for e in network.layout.parameters where !e.name.hasSuffix("kernel") {
            let (low, high): (Float, Float) = e.name.hasSuffix("gamma") ? (0.5, 1.5) : (-0.5, 0.5)
            for i in e.range { parameters.values[i] = random.uniform(low, high) }
        }
        for e in network.layout.state {
            let (low, high): (Float, Float) = e.name.hasSuffix("running_variance") ? (0.5, 2) : (-0.5, 0.5)
            for i in e.range { parameters.state[i] = random.uniform(low, high) }
        }
        let channels = inputShape[2]
        let normalization = Normalization(mean: (0..<channels).map { 0.45 + 0.05 * Float($0) },
                                          std: (0..<channels).map { 0.2 + 0.05 * Float($0) })
        return ModelFile(spec: spec, inputShape: inputShape, classes: classes, normalization: normalization, role: "student", parameters: parameters)
    }

    /// `count` random byte images of `shape` ([H, W, C]), NHWC.
    static func images(count: Int, shape: [Int], seed: UInt64 = 2) -> [UInt8] {
        var random = Stream(state: seed)
        return (0..<(count * shape.reduce(1, *))).map { _ in UInt8(random.next() * 256) }
    }

    /// Largest |a − b| over the largest |b|.
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        let scale = b.map(abs).max() ?? 0
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / max(scale, .leastNormalMagnitude) } ?? 0
    }

    /// The package root (for scripts/ and Tests/Python/).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
}

/// The Python environment of the interop tests (`scripts/pyenv.sh models ...`), made once per test
/// process: PyTorch from the local wheel folder, the rest from PyPI.
enum InteropPython {
    static let requirements = ["torch==2.13.0+cpu", "onnx", "onnxruntime", "numpy", "safetensors"]

    private static let made: Result<String, PythonUnavailable> = {
        let (status, output) = run("/bin/bash", [packageRoot + "/scripts/pyenv.sh", "models"] + requirements)
        guard status == 0, let python = output.split(separator: "\n").last.map(String.init), python.hasSuffix("/python") else {
            return .failure(PythonUnavailable(reason: "scripts/pyenv.sh could not install \(requirements.joined(separator: " ")) (status \(status)): \(output.suffix(600))"))
        }
        return .success(python)
    }()

    struct PythonUnavailable: Error { let reason: String }

    private static var packageRoot: String { InteropFixtures.packageRoot }

    /// The environment's python, or an XCTSkip (printed) when pip cannot install the requirements.
    static func python() throws -> String {
        switch made {
        case let .success(python): return python
        case let .failure(error):
            print("InteropTests skipped: \(error.reason)")
            throw XCTSkip(error.reason)
        }
    }

    /// Runs `Tests/Python/interop_check.py` with `arguments`; returns its status and output.
    static func check(_ arguments: [String]) throws -> (status: Int32, output: String) {
        run(try python(), [packageRoot + "/Tests/Python/interop_check.py"] + arguments)
    }

    /// Runs `executable` and returns its exit status and combined output.
    static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
