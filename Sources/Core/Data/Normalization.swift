/// Per-channel standardisation of byte images: `y = (x/255 − mean[c]) / std[c]`.
public struct Normalization: Codable, Sendable, Equatable {
    /// Per-channel mean of `x/255`.
    public var mean: [Float]
    /// Per-channel standard deviation of `x/255` (population form; 1 for a constant channel).
    public var std: [Float]

    /// A normalisation with the given per-channel statistics, unchecked: statistics that come
    /// from input (a file, a coordinator) must pass ``validate(channels:source:)`` before use.
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// Checks that there are `channels` finite means and finite standard deviations > 0.
    /// - Throws: `DataError.badNormalization` naming `source`, the channel and the value.
    public func validate(channels: Int, source: String) throws {
        guard mean.count == channels, std.count == channels else {
            throw DataError.badNormalization(source: source, detail: "\(mean.count) means and \(std.count) standard deviations for \(channels) channels")
        }
        if let c = mean.firstIndex(where: { !$0.isFinite }) {
            throw DataError.badNormalization(source: source, detail: "mean[\(c)] = \(mean[c]), expected a finite number")
        }
        // 1/(255·std) is the scale `apply` multiplies by: it must be finite too.
        if let c = std.firstIndex(where: { !($0.isFinite && $0 > 0 && (1 / (255 * $0)).isFinite) }) {
            throw DataError.badNormalization(source: source, detail: "std[\(c)] = \(std[c]), expected a finite number > 0")
        }
    }

    /// The per-channel mean and standard deviation of `x/255` over every pixel of `dataset`.
    /// Sums are exact integers, the final moments Double. A channel with zero spread gets std 1.
    public static func fit(_ dataset: Dataset) -> Normalization {
        let c = dataset.channels
        var sum = [UInt64](repeating: 0, count: c)
        var squares = [UInt64](repeating: 0, count: c)
        dataset.images.withUnsafeBufferPointer { x in
            // x: [N, H, W, C]
            var i = 0
            while i < x.count {
                for k in 0..<c {
                    let v = UInt64(x[i + k])
                    sum[k] &+= v
                    squares[k] &+= v * v
                }
                i += c
            }
        }
        let n = Double(dataset.count * dataset.height * dataset.width)
        var mean = [Float](repeating: 0, count: c)
        var std = [Float](repeating: 1, count: c)
        for k in 0..<c where n > 0 {
            let m = Double(sum[k]) / n
            let variance = max(Double(squares[k]) / n - m * m, 0)
            mean[k] = Float(m / 255)
            if variance > 0 { std[k] = Float(variance.squareRoot() / 255) }
        }
        return Normalization(mean: mean, std: std)
    }

    /// Writes `(x/255 − mean[c]) / std[c]` for `count` NHWC byte images into `output`.
    /// - Parameters:
    ///   - imageBytes: bytes per image (`H·W·channels`); `channels` must equal `mean.count`.
    ///     The statistics must have passed ``validate(channels:source:)`` (a precondition: every
    ///     caller validates once where the statistics enter, not per image).
    public func apply(
        _ images: UnsafePointer<UInt8>, count: Int, imageBytes: Int, channels: Int, into output: UnsafeMutablePointer<Float>
    ) {
        // images: [N, H, W, C] bytes -> output: [N, H, W, C] floats
        precondition(channels == mean.count && imageBytes % channels == 0, "normalisation for \(mean.count) channels, data has \(channels)")
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * channels) { coefficients in
            let scale = coefficients.baseAddress!
            let shift = scale + channels
            for k in 0..<channels {
                scale[k] = 1 / (255 * std[k])
                shift[k] = -mean[k] / std[k]
            }
            let total = count * imageBytes
            if channels == 1 {
                // One channel (MNIST-like data): a plain loop over the bytes, which vectorises.
                let (s, h) = (scale[0], shift[0])
                for i in 0..<total { output[i] = Float(images[i]) * s + h }
                return
            }
            var i = 0
            while i < total {
                for k in 0..<channels { output[i + k] = Float(images[i + k]) * scale[k] + shift[k] }
                i += channels
            }
        }
    }
}
