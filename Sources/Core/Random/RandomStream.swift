/// The first coordinate of every ``KeyedRandom`` key: one stream per use, so no two uses
/// of the same seed ever draw the same numbers.
public enum RandomStream {
    /// Augmentation draws: (seed, augmentation, epoch, sample).
    public static let augmentation: UInt64 = 1
    /// Epoch shuffles: (seed, order, epoch).
    public static let order: UInt64 = 2
    /// The built-in data set: (data seed, synthetic, sample).
    public static let synthetic: UInt64 = 3
    /// Parameter initialisation: (seed, initialisation, buffer, array).
    public static let initialization: UInt64 = 4
    /// Dropout masks: (seed, dropout, step) then layer, sample, element.
    public static let dropout: UInt64 = 5
    /// Which shards the coordinator audits: (coordinator's secret audit key, audit, step, shard).
    public static let audit: UInt64 = 6
    /// The training images held out for validation: (seed, validation).
    public static let validation: UInt64 = 7
    /// A worker's reconnection jitter: (hash of its name, reconnect, attempt).
    public static let reconnect: UInt64 = 8
}
