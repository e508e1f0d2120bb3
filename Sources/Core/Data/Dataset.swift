/// An in-memory labelled image data set.
///
/// `images` holds `count` images of `height × width × channels` bytes each, stored NHWC
/// (`[count, height, width, channels]`, channels fastest); `labels[i]` is the class of image `i`
/// in `0..<classes`.
public struct Dataset: Sendable {
    /// Pixel bytes, NHWC, `count · imageBytes` of them.
    public let images: [UInt8]
    /// One class index per image, each in `0..<classes`.
    public let labels: [Int32]
    /// Image height in pixels.
    public let height: Int
    /// Image width in pixels.
    public let width: Int
    /// Channels per pixel (1 grey, 3 RGB).
    public let channels: Int
    /// Number of classes; labels lie in `0..<classes`.
    public let classes: Int

    /// Number of images.
    public var count: Int { labels.count }
    /// Bytes per image: `height · width · channels`.
    public var imageBytes: Int { height * width * channels }

    /// A data set over `images` (NHWC bytes) and `labels`.
    ///
    /// - Parameter source: the file named in errors (a reader passes its label file).
    /// - Throws: `DataError.shapeMismatch` when `images.count` is not `labels.count · h·w·c` or a
    ///   dimension is not positive; `DataError.labelOutOfRange` for the first label outside `0..<classes`.
    public init(
        images: [UInt8], labels: [Int32], height: Int, width: Int, channels: Int, classes: Int,
        source: String = "dataset"
    ) throws {
        guard height > 0, width > 0, channels > 0, classes > 0 else {
            throw DataError.shapeMismatch(
                file: source, detail: "image \(height)×\(width)×\(channels) with \(classes) classes")
        }
        guard images.count == labels.count * height * width * channels else {
            throw DataError.shapeMismatch(
                file: source,
                detail: "\(images.count) pixel bytes for \(labels.count) images of \(height)×\(width)×\(channels)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
            throw DataError.labelOutOfRange(file: source, record: bad, label: Int(labels[bad]), classes: classes)
        }
        self.images = images
        self.labels = labels
        self.height = height
        self.width = width
        self.channels = channels
        self.classes = classes
    }
}
