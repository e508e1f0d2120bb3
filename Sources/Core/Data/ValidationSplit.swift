/// `data.validation`: the training images held out of training and evaluated during the run, so
/// that choosing the best step or stopping early never looks at the test split.
///
/// The held-out images are the first `size` entries of a keyed permutation of the training
/// split, `EpochOrder.permutation(count:random:)` with `KeyedRandom(seed: seed, RandomStream.validation)`,
/// sorted; the remaining images keep their order and are the training set. The same seed and
/// data give the same split in every process.
public struct ValidationSplit {
    /// Indices into the original training split, ascending.
    public let heldOut: [Int]
    /// Indices into the original training split that stay for training, ascending.
    public let training: [Int]

    /// The split of `count` training images for the `data.validation` value `setting` (0: none;
    /// a fraction in (0, 1), rounded down but at least one image; or a whole count).
    /// - Throws: ``ConfigError/badValue`` when fewer than one image would be left to train on.
    public init(count: Int, setting: Double, seed: UInt64) throws {
        let size = setting < 1 ? (setting > 0 ? max(1, Int(setting * Double(count))) : 0) : Int(setting)
        guard size < count || size == 0 else {
            throw ConfigError.badValue(key: "data.validation", value: ConfigValue.float(setting).description,
                                       expected: "fewer than the \(count) training images (a count) or a fraction in (0, 1)",
                                       source: "configuration")
        }
        let order = EpochOrder.permutation(count: count, random: KeyedRandom(seed: seed, RandomStream.validation))
        var held = [Bool](repeating: false, count: count)
        for i in order.prefix(size) { held[i] = true }
        heldOut = (0..<count).filter { held[$0] }
        training = (0..<count).filter { !held[$0] }
    }

    /// Splits `dataset` as the configuration says (`data.validation`, keyed by `seed`): the
    /// images to train on, and the validation images (nil when `data.validation` is 0).
    public static func apply(to dataset: Dataset, config: RunConfig) throws -> (train: Dataset, validation: Dataset?) {
        let split = try ValidationSplit(count: dataset.count, setting: config.double("data.validation"), seed: UInt64(config.int("seed")))
        if split.heldOut.isEmpty { return (dataset, nil) }
        return (try dataset.subset(split.training), try dataset.subset(split.heldOut))
    }
}
