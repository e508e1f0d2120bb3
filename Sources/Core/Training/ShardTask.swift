/// One micro-shard of a task: augmented images and their labels.
public struct ShardTask: Equatable, Sendable {
    /// Position of this shard within the step (results are reduced in this order).
    public let shardIndex: Int
    /// Index within the epoch's sample order of the shard's first sample.
    public let sampleOffset: Int
    /// Samples in the shard.
    public let count: Int
    /// Image height in pixels.
    public let height: Int
    /// Image width in pixels.
    public let width: Int
    /// Channels per pixel.
    public let channels: Int
    /// Augmented images, uint8 NHWC: `[count, height, width, channels]`.
    public private(set) var images: [UInt8]
    /// Class labels: `[count]`.
    public private(set) var labels: [Int32]
    /// The frozen teacher's logits for these images, `[count, classes]` float32, from the
    /// coordinator's teacher cache; empty: the executor runs the teacher itself.
    public var teacherLogits: [Float] = []
    /// Whether the result must carry the teacher logits (the coordinator caches them): those the
    /// executor computes, or those a worker put in ``teacherLogits`` when it ran the teacher ahead
    /// (``ShardExecutor/withTeacherLogits(_:)``). The coordinator sets it only on tasks it sends
    /// without logits.
    public var returnsTeacherLogits = false

    /// A shard; traps unless `images.count == count·height·width·channels` and `labels.count == count`.
    public init(shardIndex: Int, sampleOffset: Int, count: Int, height: Int, width: Int, channels: Int,
                images: [UInt8], labels: [Int32]) {
        precondition(images.count == count * height * width * channels && labels.count == count,
                     "ShardTask \(shardIndex): \(images.count) image bytes and \(labels.count) labels for "
                        + "[\(count), \(height), \(width), \(channels)]")
        self.shardIndex = shardIndex
        self.sampleOffset = sampleOffset
        self.count = count
        self.height = height
        self.width = width
        self.channels = channels
        self.images = images
        self.labels = labels
    }

    /// Overwrites the images and labels in place with `count` images from `images` and
    /// `count` labels from `labels` (copy-on-write copies them first if another value shares
    /// them), and clears the teacher fields: the shard of another batch, same geometry.
    mutating func refill(images source: UnsafePointer<UInt8>, labels sourceLabels: UnsafePointer<Int32>) {
        images.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: source, count: $0.count) }
        labels.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: sourceLabels, count: $0.count) }
        teacherLogits = []
        returnsTeacherLogits = false
    }
}
