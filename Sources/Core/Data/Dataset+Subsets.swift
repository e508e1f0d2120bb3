extension Dataset {
    /// The first `count` images (all of them when `count` ≥ the set's size).
    public func prefix(_ count: Int) throws -> Dataset {
        try subset(Array(0..<Swift.min(count, self.count)))
    }

    /// The images at `indices` (each in `0..<count`), in that order.
    /// - Throws: `DataError.shapeMismatch` for an index outside the set.
    public func subset(_ indices: [Int]) throws -> Dataset {
        var pixels = [UInt8]()
        pixels.reserveCapacity(indices.count * imageBytes)
        var chosen = [Int32]()
        chosen.reserveCapacity(indices.count)
        for i in indices {
            guard (0..<count).contains(i) else {
                throw DataError.shapeMismatch(file: "dataset", detail: "image \(i) requested from a set of \(count)")
            }
            pixels.append(contentsOf: images[(i * imageBytes)..<((i + 1) * imageBytes)])
            chosen.append(labels[i])
        }
        return try Dataset(images: pixels, labels: chosen, height: height, width: width, channels: channels, classes: classes)
    }
}
