/// How a global batch is cut into micro-shards: shard `s` of a batch of `b` samples holds
/// samples `[s·b/S, (s+1)·b/S)`, so sizes differ by at most one and the split depends only on
/// the batch size and `S`. Empty shards (batch smaller than S) are left out.
public struct ShardPlan: Sendable, Equatable {
    /// The shards' sample ranges within the batch, in shard-index order.
    public let ranges: [(index: Int, range: Range<Int>)]
    /// The batch size the plan cuts.
    public let batchSize: Int

    public init(batchSize: Int, shards: Int) {
        precondition(shards > 0, "at least one shard")
        self.batchSize = batchSize
        ranges = (0..<shards).compactMap { s in
            let r = (s * batchSize / shards)..<((s + 1) * batchSize / shards)
            return r.isEmpty ? nil : (s, r)
        }
    }

    public static func == (a: ShardPlan, b: ShardPlan) -> Bool {
        a.ranges.map(\.index) == b.ranges.map(\.index) && a.ranges.map(\.range) == b.ranges.map(\.range)
    }

    /// The shard tasks for one augmented batch (`images`: uint8 NHWC, `labels`).
    public func tasks(images: [UInt8], labels: [Int32], height: Int, width: Int, channels: Int) -> [ShardTask] {
        let imageBytes = height * width * channels
        return ranges.map { index, range in
            ShardTask(shardIndex: index, sampleOffset: range.lowerBound, count: range.count,
                      height: height, width: width, channels: channels,
                      images: Array(images[(range.lowerBound * imageBytes)..<(range.upperBound * imageBytes)]),
                      labels: Array(labels[range]))
        }
    }

    /// ``tasks(images:labels:height:width:channels:)`` written into `tasks`: shards that already
    /// match this plan and geometry are refilled in place (no allocation when nothing else holds
    /// their arrays), anything else is rebuilt. `images` holds the batch, uint8 NHWC.
    func fill(_ tasks: inout [ShardTask], images: [UInt8], labels: [Int32], height: Int, width: Int, channels: Int) {
        let matches = tasks.count == ranges.count && zip(tasks, ranges).allSatisfy { task, shard in
            task.shardIndex == shard.index && task.sampleOffset == shard.range.lowerBound && task.count == shard.range.count
                && task.height == height && task.width == width && task.channels == channels
        }
        guard matches else {
            tasks = self.tasks(images: images, labels: labels, height: height, width: width, channels: channels)
            return
        }
        let imageBytes = height * width * channels
        images.withUnsafeBufferPointer { images in
            labels.withUnsafeBufferPointer { labels in
                for i in tasks.indices {
                    let first = ranges[i].range.lowerBound
                    tasks[i].refill(images: images.baseAddress! + first * imageBytes, labels: labels.baseAddress! + first)
                }
            }
        }
    }
}
