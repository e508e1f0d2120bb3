import Core
import Foundation

/// `predict`: the inference-mode logits of a model for a file of images, computed exactly as
/// `evaluate` computes them (the model's normalisation, then ``ShardExecutor/logits(of:images:count:)``).
public struct Prediction {
    /// Logits, row-major `[count, classes]`.
    public let logits: [Float]
    /// Number of images.
    public let count: Int
    /// Width of a row of logits.
    public let classes: Int

    /// Images per forward pass.
    static let chunk = 256

    /// Runs `file`'s model on `images` (NHWC bytes of shape `shape`, `[N, H, W, C]`).
    /// - Throws: ``InteropError/badFile(file:detail:)`` naming `source` when the images do not
    ///   have the model's input shape; the errors of ``ShardExecutor/init(studentSpec:studentParameters:teacher:inputShape:classes:objective:normalization:seed:)``.
    public init(file: ModelFile, images: [UInt8], shape: [Int], source: String) throws {
        guard shape.count == 4, Array(shape.dropFirst()) == file.inputShape, shape[0] > 0,
              images.count == shape.reduce(1, *) else {
            throw InteropError.badFile(file: source, detail: "holds images of shape \(shape) ([N, H, W, C]), the model takes [N] + \(file.inputShape)")
        }
        let executor = try ShardExecutor(studentSpec: file.spec, studentParameters: file.parameters, teacher: nil,
                                         inputShape: file.inputShape, classes: file.classes, objective: .plain,
                                         normalization: file.normalization, seed: 0)
        let (count, imageBytes) = (shape[0], images.count / shape[0])
        var logits = [Float](repeating: 0, count: count * file.classes)
        images.withUnsafeBufferPointer { pixels in
            for start in stride(from: 0, to: count, by: Prediction.chunk) {
                let n = min(Prediction.chunk, count - start)
                let out = executor.logits(of: executor.student, images: pixels.baseAddress! + start * imageBytes, count: n)
                for i in 0..<(n * file.classes) { logits[start * file.classes + i] = out.pointer[i] }
            }
        }
        self.logits = logits
        self.count = count
        self.classes = file.classes
    }

    /// The `k` most probable classes of image `index` with their softmax probabilities, most probable first.
    public func top(_ k: Int, of index: Int) -> [(label: Int, probability: Double)] {
        let row = logits[(index * classes)..<((index + 1) * classes)].map(Double.init)
        let peak = row.max() ?? 0
        let exps = row.map { Foundation.exp($0 - peak) }
        let total = exps.reduce(0, +)
        // Non-finite logits sort last instead of breaking the ordering.
        let ranked = exps.enumerated().map { (label: $0.offset, probability: $0.element / total) }
        let key = { (p: Double) in p.isNaN ? -Double.infinity : p }
        return ranked.sorted { key($0.probability) != key($1.probability) ? key($0.probability) > key($1.probability) : $0.label < $1.label }
            .prefix(max(k, 0)).map { $0 }
    }

    /// The logits as a `.npy` file (float32 `[count, classes]`).
    public var npy: [UInt8] { NPYWriter.float32(logits, shape: [count, classes]) }

    /// Reads images from `.npy` (by the `.npy` extension) or IDX (raw or gzip) files.
    /// - Returns: NHWC bytes and `[N, H, W, C]`.
    /// - Throws: `DataError` naming the file.
    public static func readImages(_ path: String) throws -> (bytes: [UInt8], shape: [Int]) {
        path.lowercased().hasSuffix(".npy") ? try NPYReader.images(path) : try IDXReader.images(path)
    }
}
