import Foundation
import XCTest
@testable import Core

final class TrainerTests: XCTestCase {
    private var scratch: String!

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "/distill-trainer-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    private func train(_ overrides: [String], out: String, threads: Int = 2) throws -> TrainingSummary {
        let config = try RunConfig.load(path: nil, overrides: overrides)
        let setup = try TrainingSetup(config: config, parallelism: threads)
        let pool = LocalShardPool(executors: try (0..<threads).map { _ in try setup.makeExecutor() })
        let trainer = try Trainer(setup: setup, backend: pool, evaluator: pool, output: try RunOutput(directory: out))
        trainer.report = { _ in }
        return try trainer.run()
    }

    private let small = ["data.train_size=2000", "data.test_size=500", "train.batch_size=32", "train.log_every=50"]

    /// The demo's small CNN (examples/demo-student.yaml), which leaves chance level quickly.
    private let demoStudent = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/demo-student.yaml").path

    func testTheOnePassStepGivesTheBitsOfTheReduceThenTheStep() throws {
        // Without clipping the trainer reduces and steps in one pass; a clipping bound that never
        // binds takes the two-pass path (reduce, measure, step). Both optimiser families, with decay.
        for optimizer in ["sgd", "adamw"] {
            let base = small + ["train.steps=6", "data.train_size=256", "model.spec=\(demoStudent)", "optimizer.name=\(optimizer)",
                                "optimizer.weight_decay=0.01", "optimizer.momentum=0.9"]
            let onePass = try train(base, out: scratch + "/one-\(optimizer)")
            let twoPasses = try train(base + ["optimizer.clip_norm=1000000000"], out: scratch + "/two-\(optimizer)")
            XCTAssertEqual(twoPasses.clippedFraction, 0)
            XCTAssertEqual(onePass.paramsSHA256, twoPasses.paramsSHA256, optimizer)
            XCTAssertEqual(try Checkpoint.read(scratch + "/one-\(optimizer)/checkpoint.safetensors").optimizer,
                           try Checkpoint.read(scratch + "/two-\(optimizer)/checkpoint.safetensors").optimizer, optimizer)
        }
    }

    func testShortTrainingBeatsChanceAndDistillationKeepsTheTeacher() throws {
        let teacherDir = scratch + "/teacher"
        let teacher = try train(small + ["train.steps=400", "model.spec=\(demoStudent)", "data.train_size=4000", "train.batch_size=64",
                                          "train.log_every=100"], out: teacherDir)
        XCTAssertEqual(teacher.steps, 400)
        XCTAssertGreaterThan(teacher.testAccuracy, 0.25, "10 classes: chance is 0.1")
        for file in ["config.yaml", "teacher.safetensors", "teacher.yaml", "metrics.jsonl", "summary.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: teacherDir + "/" + file), file)
        }
        let lines = try String(contentsOfFile: teacherDir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains(#""kind":"step""#) }.count, 4)
        XCTAssertEqual(lines.filter { $0.contains(#""kind":"eval""#) }.count, 1, "the test split, once at the end")
        XCTAssertEqual(lines.filter { $0.contains(#""kind":"validation""#) }.count, 8, "3600 images after 400 held out: 7 epochs of 57 steps, then step 400")
        let saved = try TrainingSummary.read(teacherDir + "/summary.json")
        XCTAssertEqual(saved, teacher)

        let teacherBytes = try Data(contentsOf: URL(fileURLWithPath: teacherDir + "/teacher.safetensors"))
        let student = try train(small + ["train.steps=20", "model.spec=hinton-student", "teacher.checkpoint=\(teacherDir)"],
                                out: scratch + "/student")
        XCTAssertEqual(student.teacherTestAccuracy, teacher.testAccuracy)
        XCTAssertEqual(student.teacherParamsSHA256, try ModelFile.read(teacherDir + "/teacher.safetensors").parameters.sha256())
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: teacherDir + "/teacher.safetensors")), teacherBytes)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch + "/student/student.safetensors"))
    }

    func testConfigYAMLReproducesTheRun() throws {
        let first = try train(small + ["train.steps=6", "model.spec=hinton-student", "seed=5", "train.shards=3"], out: scratch + "/a")
        let config = try RunConfig.load(path: scratch + "/a/config.yaml")
        let setup = try TrainingSetup(config: config, parallelism: 1)
        let pool = LocalShardPool(executors: [try setup.makeExecutor()])
        let trainer = try Trainer(setup: setup, backend: pool, evaluator: pool, output: try RunOutput(directory: scratch + "/b"))
        trainer.report = { _ in }
        let second = try trainer.run()
        XCTAssertEqual(second.paramsSHA256, first.paramsSHA256, "same config, one thread instead of two: same bits")
        let other = try train(small + ["train.steps=6", "model.spec=hinton-student", "seed=6", "train.shards=3"], out: scratch + "/c")
        XCTAssertNotEqual(other.paramsSHA256, first.paramsSHA256)
    }

    func testResolvedConfigurationRecordsTheShardCount() throws {
        let config = try RunConfig.load(path: nil, overrides: ["data.train_size=100", "data.test_size=10"])
        XCTAssertEqual(config.int("train.shards"), 0)
        let setup = try TrainingSetup(config: config, parallelism: 3)
        XCTAssertEqual(setup.shards, 3)
        XCTAssertEqual(setup.config.int("train.shards"), 3, "config.yaml must reproduce the run on any machine")
        XCTAssertTrue(setup.config.yaml().contains("  shards: 3\n"))
    }

    func testEpochsAndStepsPrecedence() throws {
        let config = try RunConfig.load(path: nil, overrides: ["data.train_size=100", "data.test_size=10", "train.batch_size=30", "train.epochs=2",
                                                                   "data.validation=0"])
        let setup = try TrainingSetup(config: config, parallelism: 1)
        XCTAssertEqual(setup.stepsPerEpoch, 4, "the last batch of an epoch holds 10 images")
        XCTAssertEqual(setup.totalSteps, 8)
        var withSteps = config
        try withSteps.apply(override: "train.steps=3")
        XCTAssertEqual(try TrainingSetup(config: withSteps, parallelism: 1).totalSteps, 3)
    }
}
