extension Dataset {
    /// The first `count` images (all of them when `count` ≥ the set's size).
    public func prefix(_ count: Int) throws -> Dataset {
        let n = Swift.min(count, self.count)
        return try Dataset(images: Array(images[0..<(n * imageBytes)]), labels: Array(labels[0..<n]),
                           height: height, width: width, channels: channels, classes: classes)
    }
}
