/// The data set used when no files are given: ``SyntheticShapes`` split into train and test.
public enum BuiltinData {
    /// First sample index of the test split; train uses indices from 0, so the two splits never
    /// share a sample key for any `trainCount` below 2^40.
    public static let testFirstIndex = 1 << 40

    /// `trainCount` training and `testCount` test images of ``SyntheticShapes`` for `seed`.
    public static func load(trainCount: Int = 20_000, testCount: Int = 4_000, seed: UInt64 = 2024) -> (train: Dataset, test: Dataset) {
        (SyntheticShapes.make(count: trainCount, seed: seed),
         SyntheticShapes.make(count: testCount, seed: seed, firstIndex: testFirstIndex))
    }
}
