/// What a teacher cache's entries depend on: the frozen teacher, the training data, the input
/// normalisation, the augmented views (seed, count and transforms) and the storage (classes,
/// top-k and, for top-k, the temperature the probabilities were taken at). A cache file made
/// under another identity is never used: its entries would be logits of other images or of
/// another teacher.
public struct TeacherCacheIdentity: Equatable, Sendable {
    /// `key=value` pairs in a fixed order (each value free of line breaks).
    public let fields: [(key: String, value: String)]

    /// The identity of `setup`'s cache.
    public init(setup s: TrainingSetup) {
        var data = SHA256Hasher()
        s.train.images.withUnsafeBytes { data.update($0) }
        s.train.labels.withUnsafeBytes { data.update($0) }
        let c = s.config
        let augmentation = ["augment.width_shift", "augment.height_shift", "augment.horizontal_flip", "augment.pad_crop",
                            "augment.fill", "augment.fill_value"].map { "\($0)=\(c[$0])" }.joined(separator: ",")
        let topK = c.int("teacher.cache_top_k")
        fields = [
            ("teacher_sha256", s.teacher?.parameters.sha256() ?? ""),
            ("data_sha256", SHA256.hexString(data.finalize())),
            ("train_count", String(s.train.count)),
            ("input", s.inputShape.map(String.init).joined(separator: "x")),
            ("classes", String(s.classes)),
            ("normalization", "mean \(s.normalization.mean) std \(s.normalization.std)"),
            ("seed", String(c.int("seed"))),
            ("views", String(s.cacheViews)),
            ("augmentation", s.views > 0 ? augmentation : "off"),
            ("top_k", String(topK)),
            ("temperature", topK > 0 ? String(s.objective.temperature) : "-"),
        ]
    }

    /// Parses the text ``text`` wrote; nil when it is not such a text.
    init?(text: String) {
        var fields: [(key: String, value: String)] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let equals = line.firstIndex(of: "=") else { return nil }
            fields.append((String(line[..<equals]), String(line[line.index(after: equals)...])))
        }
        self.fields = fields
    }

    /// One `key=value` line per field.
    public var text: String { fields.map { "\($0.key)=\($0.value)" }.joined(separator: "\n") }

    /// The first field that differs from `other`, as "key: A in the file, B now", or nil when equal.
    func difference(from file: TeacherCacheIdentity) -> String? {
        for (i, field) in fields.enumerated() {
            let theirs = i < file.fields.count && file.fields[i].key == field.key ? file.fields[i].value : "absent"
            if theirs != field.value { return "\(field.key): \(theirs.prefix(80)) in the file, \(field.value.prefix(80)) now" }
        }
        return file.fields.count == fields.count ? nil : "\(file.fields.count) identity fields in the file, \(fields.count) now"
    }

    public static func == (a: TeacherCacheIdentity, b: TeacherCacheIdentity) -> Bool { a.text == b.text }
}
