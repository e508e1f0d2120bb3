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
            XCTAssertTrue("\(error)".contains("'trian'"), "\(error)")
        }
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
}

final class ConfigDocumentationTests: XCTestCase {
    func testConfigDocListsEveryKeyWithItsDefault() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/CONFIG.md"), encoding: .utf8)
        for key in ConfigSchema.keys {
            XCTAssertTrue(doc.contains("| `\(key.name)` |"), "docs/CONFIG.md does not document \(key.name)")
        }
    }
}
