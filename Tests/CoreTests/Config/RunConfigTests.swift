import XCTest
@testable import Core

final class RunConfigTests: XCTestCase {
    func testDefaultsAndOverrides() throws {
        var config = RunConfig()
        XCTAssertEqual(config.int("train.steps"), 0)
        try config.apply(override: "train.steps=20")
        try config.apply(override: "seed=7")
        try config.apply(override: "optimizer.name=sgd")
        XCTAssertEqual(config.int("train.steps"), 20)
        XCTAssertEqual(config.int("seed"), 7)
        XCTAssertEqual(config.string("optimizer.name"), "sgd")
    }

    func testUnknownKeysAreNamed() {
        var config = RunConfig()
        XCTAssertThrowsError(try config.apply(override: "train.stpes=3")) { error in
            XCTAssertTrue("\(error)".hasPrefix("--set: unknown configuration key 'train.stpes'"), "\(error)")
            XCTAssertTrue("\(error)".contains("train.steps"), "suggests the section's keys: \(error)")
        }
        XCTAssertThrowsError(try config.merge(yaml: "train:\n  batch: 3\n", source: "run.yaml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("run.yaml: unknown configuration key 'train.batch'"), "\(error)")
        }
        XCTAssertThrowsError(try config.merge(yaml: "trian:\n  steps: 3\n", source: "run.yaml")) { error in
            XCTAssertEqual("\(error)", "run.yaml: unknown configuration key 'trian'; did you mean train?")
        }
        XCTAssertThrowsError(try config.apply(override: "zzz=1")) { error in
            XCTAssertEqual("\(error)", "--set: unknown configuration key 'zzz' (docs/CONFIG.md lists every key)")
        }
    }

    /// Suggestions come from the whole schema: the full dotted path and its last part.
    func testSuggestionsSearchTheWholeSchema() {
        XCTAssertEqual(ConfigSchema.suggestions(for: "trian.steps"), ["train.steps"])
        XCTAssertEqual(ConfigSchema.suggestions(for: "steps"), ["train.steps"])
        XCTAssertEqual(ConfigSchema.suggestions(for: "train.stpes"), ["train.steps"])
        XCTAssertEqual(ConfigSchema.suggestions(for: "learning_rate"), ["optimizer.learning_rate"])
        XCTAssertEqual(ConfigSchema.suggestions(for: "optimiser.learning_rate"), ["optimizer.learning_rate"])
        XCTAssertEqual(ConfigSchema.suggestions(for: "batch_size"), ["train.batch_size", "eval.batch_size"])
        XCTAssertEqual(ConfigSchema.suggestions(for: "train.patience"), [], "too far: the error lists the section's keys instead")
        XCTAssertEqual(ConfigSchema.suggestions(for: "data.valid"), ["data.validation"])
        XCTAssertEqual(ConfigSchema.suggestions(for: "agument"), ["augment"])
        XCTAssertEqual(ConfigSchema.suggestions(for: "qqqqqq"), [])
        XCTAssertEqual(ConfigSchema.editDistance("trian", "train"), 1, "a swap of neighbours is one edit")
        XCTAssertEqual(ConfigSchema.editDistance("", "abc"), 3)
    }

    func testBadValuesAreNamed() {
        var config = RunConfig()
        XCTAssertThrowsError(try config.apply(override: "train.steps=-1")) { error in
            XCTAssertEqual("\(error)", "--set: train.steps = '-1' is invalid: expected an integer in 0…1000000000")
        }
        XCTAssertThrowsError(try config.apply(override: "distill.alpha=1.5")) { error in
            XCTAssertTrue("\(error)".contains("distill.alpha"), "\(error)")
        }
        XCTAssertThrowsError(try config.apply(override: "optimizer.name=rmsprop")) { error in
            XCTAssertTrue("\(error)".contains("one of adam, adamw, sgd"), "\(error)")
        }
        XCTAssertThrowsError(try config.merge(yaml: "augment:\n  horizontal_flip: maybe\n", source: "run.yaml")) { error in
            XCTAssertEqual("\(error)", "run.yaml: augment.horizontal_flip = 'maybe' is invalid: expected true or false")
        }
        XCTAssertThrowsError(try config.apply(override: "steps")) { error in
            XCTAssertTrue("\(error)".contains("expected key=value"), "\(error)")
        }
    }

    /// config.yaml is emitted by Yams and read back to the same configuration, whatever the text values hold.
    func testYAMLRoundTripOfAwkwardText() throws {
        for text in ["", "true", "0.5", "a: b # c", "ünïcödé/路径", "line\nbreak", "'quoted' \"twice\"", String(repeating: "long/path ", count: 30)] {
            var config = RunConfig()
            try config.set("model.spec", text: text)
            var again = RunConfig()
            try again.merge(yaml: config.yaml(), source: "config.yaml")
            XCTAssertEqual(again.string("model.spec"), text.trimmingCharacters(in: .whitespaces))
            XCTAssertEqual(again, config, text)
        }
        XCTAssertTrue(RunConfig().yaml().hasPrefix("seed: 1\ndata:\n  source: \"builtin\"\n"), RunConfig().yaml())
    }

    func testYAMLRoundTrip() throws {
        var config = RunConfig()
        try config.merge(yaml: "seed: 3\ntrain:\n  steps: 12\nmodel:\n  spec: \"my \\\"model\\\".yaml\"\n", source: "a.yaml")
        XCTAssertEqual(config.string("model.spec"), "my \"model\".yaml")
        var again = RunConfig()
        try again.merge(yaml: config.yaml(), source: "config.yaml")
        XCTAssertEqual(again, config)
        XCTAssertEqual(again.hash, config.hash)
        XCTAssertNotEqual(RunConfig().hash, config.hash)
    }

    /// The values that used to pass the schema and then trap (or be clamped) are errors naming
    /// the key and the allowed range.
    func testValuesOutsideTheirRangeAreNamedWithTheRange() {
        let cases = [
            ("augment.width_shift=1", "--set: augment.width_shift = '1' is invalid: expected a number in [0, 1)"),
            ("augment.height_shift=1.0", "--set: augment.height_shift = '1.0' is invalid: expected a number in [0, 1)"),
            ("augment.fill_value=300", "--set: augment.fill_value = '300' is invalid: expected an integer in 0…255"),
            ("train.batch_size=0", "--set: train.batch_size = '0' is invalid: expected an integer in 1…65536"),
            ("eval.batch_size=0", "--set: eval.batch_size = '0' is invalid: expected an integer in 1…65536"),
            ("distill.temperature=0", "--set: distill.temperature = '0' is invalid: expected a number in [0.01, 1000]"),
            ("distill.alpha=-0.5", "--set: distill.alpha = '-0.5' is invalid: expected a number in [0, 1]"),
            ("optimizer.learning_rate=-0.1", "--set: optimizer.learning_rate = '-0.1' is invalid: expected a number in [0, 10]"),
            ("optimizer.beta2=1", "--set: optimizer.beta2 = '1' is invalid: expected a number in [0, 1)"),
            ("optimizer.epsilon=0", "--set: optimizer.epsilon = '0' is invalid: expected a number in (0, 1]"),
            ("optimizer.momentum=nan", "--set: optimizer.momentum = 'nan' is invalid: expected a number in [0, 1)"),
            ("augment.pad_crop=100000", "--set: augment.pad_crop = '100000' is invalid: expected an integer in 0…1024"),
        ]
        for (override, message) in cases {
            var config = RunConfig()
            XCTAssertThrowsError(try config.apply(override: override)) { XCTAssertEqual("\($0)", message) }
        }
    }

    func testRulesBetweenKeysAreCheckedOnceEveryKeyIsSet() throws {
        // Any order of --set works: the rule is checked after the last one.
        let fine = try RunConfig.load(path: nil, overrides: ["optimizer.nesterov=true", "optimizer.momentum=0.5"])
        XCTAssertTrue(fine.bool("optimizer.nesterov"))
        XCTAssertThrowsError(try RunConfig.load(path: nil, overrides: ["optimizer.name=sgd", "optimizer.nesterov=true", "optimizer.momentum=0"])) {
            XCTAssertEqual("\($0)", "--set: optimizer.momentum = '0.0' is invalid: expected a number in (0, 1) when optimizer.nesterov is true")
        }
        XCTAssertThrowsError(try RunConfig.load(path: nil, overrides: ["train.batch_size=8", "train.shards=9"])) {
            XCTAssertEqual("\($0)", "--set: train.shards = '9' is invalid: expected at most train.batch_size (0: automatic)")
        }
        var direct = RunConfig()
        try direct.set("optimizer.nesterov", text: "true")
        try direct.set("optimizer.momentum", text: "0")
        XCTAssertThrowsError(try TrainingSetup(config: direct, parallelism: 1)) {
            XCTAssertEqual("\($0)", "configuration: optimizer.momentum = '0.0' is invalid: expected a number in (0, 1) when optimizer.nesterov is true")
        }
    }
}

final class ConfigDocumentationTests: XCTestCase {
    /// docs/CONFIG.md holds exactly the table the schema renders: every key with its default,
    /// its allowed values and its meaning, then the rules between keys.
    func testConfigDocHoldsTheSchemaTable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/CONFIG.md"), encoding: .utf8)
        let table = ConfigSchema.markdownTable()
        XCTAssertTrue(doc.contains(table), "docs/CONFIG.md must contain the table ConfigSchema.markdownTable() renders:\n\(table)")
        for key in ConfigSchema.keys {
            XCTAssertTrue(doc.contains("| `\(key.name)` |"), "docs/CONFIG.md does not document \(key.name)")
        }
    }
}
