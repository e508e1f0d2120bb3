/// Loads the training and test splits a configuration names (`data.*` keys; docs/DATA.md).
public enum DataSource {
    /// `data.source`: the format of the data set.
    public enum Format: String, ConfigChoice {
        /// The generated shapes data set (docs/DATA.md).
        case builtin
        /// CIFAR-10's binary batches.
        case cifar10
        /// IDX files (MNIST, Fashion-MNIST), plain or gzip.
        case idx
        /// NumPy `.npy` arrays.
        case npy
    }

    /// The file names looked for in `data.path` for each format.
    public static let idxFiles = (trainImages: "train-images-idx3-ubyte", trainLabels: "train-labels-idx1-ubyte",
                                  testImages: "t10k-images-idx3-ubyte", testLabels: "t10k-labels-idx1-ubyte")
    public static let npyFiles = (trainImages: "train_images.npy", trainLabels: "train_labels.npy",
                                  testImages: "test_images.npy", testLabels: "test_labels.npy")

    /// Reads (or generates) both splits and applies `data.limit` to the training split.
    /// - Throws: the readers' `DataError`s, `DataError.empty` when a split holds no images.
    public static func load(_ config: RunConfig) throws -> (train: Dataset, test: Dataset) {
        let path = config.string("data.path")
        func need(_ what: String) throws {
            if path.isEmpty {
                throw ConfigError.badValue(key: "data.path", value: "", expected: "the folder holding the \(what) files", source: "configuration")
            }
        }
        func file(_ name: String, gz: Bool) -> String {
            let plain = path + "/" + name
            if gz, !FileSystem.exists(plain), FileSystem.exists(plain + ".gz") { return plain + ".gz" }
            return plain
        }
        var split: (train: Dataset, test: Dataset)
        switch config.choice("data.source", as: Format.self) {
        case .builtin:
            split = BuiltinData.load(trainCount: config.int("data.train_size"), testCount: config.int("data.test_size"),
                                     seed: UInt64(config.int("data.data_seed")))
        case .cifar10:
            try need("CIFAR-10 binary")
            split = try CIFAR10Reader.read(directory: path)
        case .idx:
            try need("IDX")
            let f = idxFiles
            split = (try IDXReader.read(images: file(f.trainImages, gz: true), labels: file(f.trainLabels, gz: true)),
                     try IDXReader.read(images: file(f.testImages, gz: true), labels: file(f.testLabels, gz: true)))
        case .npy:
            try need(".npy")
            let f = npyFiles
            split = (try NPYReader.read(images: file(f.trainImages, gz: false), labels: file(f.trainLabels, gz: false)),
                     try NPYReader.read(images: file(f.testImages, gz: false), labels: file(f.testLabels, gz: false)))
        }
        let origin = path.isEmpty ? "data.source=\(config.string("data.source"))" : path
        guard split.train.count > 0 else { throw DataError.empty(file: origin, split: "training") }
        guard split.test.count > 0 else { throw DataError.empty(file: origin, split: "test") }
        let limit = config.int("data.limit")
        if limit > 0, limit < split.train.count { split.train = try split.train.prefix(limit) }
        guard split.train.height == split.test.height, split.train.width == split.test.width,
              split.train.channels == split.test.channels else {
            throw ConfigError.invalid(source: "data", detail: "training and test images differ in shape")
        }
        return split
    }
}
