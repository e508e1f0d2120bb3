extension Normalization {
    /// Scaling only: `x / 255` per channel (mean 0, std 1).
    public static func unit(channels: Int) -> Normalization {
        Normalization(mean: [Float](repeating: 0, count: channels), std: [Float](repeating: 1, count: channels))
    }
}
