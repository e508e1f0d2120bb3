/// How a global batch is cut into micro-shards: shard `s` of a batch of `b` samples holds
/// samples `[s·b/S, (s+1)·b/S)`, so sizes differ by at most one and the split depends only on
/// the batch size and `S`. Empty shards (batch smaller than S) are left out.
public struct ShardPlan: Sendable, Equatable {
    /// The shards' sample ranges within the batch, in shard-index order.
    public let ranges: [(index: Int, range: Range<Int>)]

    public init(batchSize: Int, shards: Int) {
        precondition(shards > 0, "at least one shard")
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
}
