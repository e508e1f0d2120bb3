import Foundation
import XCTest
@testable import Core

/// `data.validation`: held-out training images for the evaluations during a run, the best
/// weights, early stopping, and a test split evaluated once at the end.
final class ValidationTests: XCTestCase {
    private var scratch: String!

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "/distill-validation-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        // A small network without BatchNorm or dropout: with a zero learning rate nothing in it moves.
        try """
            name: tiny
            layers:
              - {type: avgpool2d, size: 4}
              - {type: flatten}
              - {type: dense, units: 32}
              - {type: relu}
              - {type: dense}
            """.write(toFile: scratch + "/tiny.yaml", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// 200 images, 20 of them held out: 180 in batches of 32, 6 steps per epoch.
    private var small: [String] {
        ["data.train_size=200", "data.test_size=50", "train.batch_size=32", "model.spec=\(scratch!)/tiny.yaml",
         "train.shards=2", "train.log_every=2", "optimizer.learning_rate=0.01"]
    }

    private func trainer(_ overrides: [String], out: String) throws -> Trainer {
        let setup = try TrainingSetup(config: try RunConfig.load(path: nil, overrides: small + overrides), parallelism: 2)
        let pool = LocalShardPool(executors: try (0..<2).map { _ in try setup.makeExecutor() })
        let trainer = try Trainer(setup: setup, backend: pool, evaluator: pool, output: try RunOutput(directory: out))
        trainer.report = { _ in }
        return trainer
    }

    private func train(_ overrides: [String], out: String) throws -> TrainingSummary {
        try trainer(overrides, out: out).run()
    }

    /// The `metrics.jsonl` lines of `kind`, decoded.
    private func evaluations(_ directory: String, kind: String) throws -> [EvaluationRecord] {
        try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .filter { $0.contains(#""kind":"\#(kind)""#) }
            .map { try RunRecordJSON.decoder().decode(EvaluationRecord.self, from: Data($0.utf8)) }
    }

    func testHeldOutImagesAreDisjointFromTrainingAndKeyedBySeed() throws {
        let split = try ValidationSplit(count: 1000, setting: 0.1, seed: 1)
        XCTAssertEqual(split.heldOut.count, 100)
        XCTAssertEqual(split.training.count, 900)
        XCTAssertTrue(Set(split.heldOut).isDisjoint(with: split.training))
        XCTAssertEqual(Set(split.heldOut).union(split.training), Set(0..<1000))
        XCTAssertEqual(try ValidationSplit(count: 1000, setting: 0.1, seed: 1).heldOut, split.heldOut, "same seed, same images")
        XCTAssertNotEqual(try ValidationSplit(count: 1000, setting: 0.1, seed: 2).heldOut, split.heldOut)
        XCTAssertNotEqual(split.heldOut, Array(0..<100), "drawn, not the first images")
        XCTAssertEqual(try ValidationSplit(count: 1000, setting: 37, seed: 1).heldOut.count, 37, "a count")
        XCTAssertEqual(try ValidationSplit(count: 5, setting: 0.1, seed: 1).heldOut.count, 1, "a fraction holds out at least one image")
        XCTAssertEqual(try ValidationSplit(count: 5, setting: 0, seed: 1).heldOut, [])
        XCTAssertThrowsError(try ValidationSplit(count: 5, setting: 5, seed: 1)) {
            XCTAssertEqual("\($0)", "configuration: data.validation = '5.0' is invalid: expected fewer than the 5 training images (a count) or a fraction in (0, 1)")
        }

        let config = try RunConfig.load(path: nil, overrides: small)
        let setup = try TrainingSetup(config: config, parallelism: 1)
        let all = try DataSource.load(config).train
        let held = try ValidationSplit(count: 200, setting: 0.1, seed: 1)
        let validation = try XCTUnwrap(setup.validation)
        XCTAssertEqual(validation.count, 20)
        XCTAssertEqual(setup.train.count, 180)
        XCTAssertEqual(validation.images, try all.subset(held.heldOut).images)
        XCTAssertEqual(setup.train.images, try all.subset(held.training).images)
        let trainingImages = Set((0..<setup.train.count).map { setup.train.images[($0 * all.imageBytes)..<(($0 + 1) * all.imageBytes)] })
        for i in 0..<validation.count {
            XCTAssertFalse(trainingImages.contains(validation.images[(i * all.imageBytes)..<((i + 1) * all.imageBytes)]), "image \(i) is trained on")
        }
        let none = try TrainingSetup(config: try RunConfig.load(path: nil, overrides: small + ["data.validation=0"]), parallelism: 1)
        XCTAssertNil(none.validation)
        XCTAssertEqual(none.train.count, 200)
    }

    func testEvaluationsDuringTheRunUseValidationAndTheTestSplitOnlyAtTheEnd() throws {
        let out = scratch + "/run"
        let summary = try train(["train.steps=6", "train.eval_every=2"], out: out)
        XCTAssertEqual(try evaluations(out, kind: "validation").map(\.step), [2, 4, 6])
        XCTAssertTrue(try evaluations(out, kind: "validation").allSatisfy { $0.testAccuracy == nil && $0.validationAccuracy != nil })
        let test = try evaluations(out, kind: "eval")
        XCTAssertEqual(test.map(\.step), [6], "the test split once, at the end")
        XCTAssertEqual(test.first?.testAccuracy, summary.testAccuracy)
        XCTAssertEqual(summary.validationAccuracy, try evaluations(out, kind: "validation").last?.validationAccuracy)
        XCTAssertNotNil(summary.bestStep)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/best.safetensors"))

        let off = scratch + "/off"
        let plain = try train(["train.steps=6", "train.eval_every=2", "data.validation=0"], out: off)
        XCTAssertEqual(try evaluations(off, kind: "validation").count, 0, "no validation images: no evaluation during the run")
        XCTAssertEqual(try evaluations(off, kind: "eval").map(\.step), [6])
        XCTAssertNil(plain.validationAccuracy)
        XCTAssertNil(plain.bestStep)
        XCTAssertFalse(FileManager.default.fileExists(atPath: off + "/best.safetensors"))
        XCTAssertEqual(try TrainingSummary.read(off + "/summary.json"), plain)
    }

    func testEarlyStopWithAZeroLearningRateKeepsItsStateInTheCheckpoint() throws {
        let out = scratch + "/frozen"
        let summary = try train(["train.steps=30", "train.eval_every=2", "train.early_stop_patience=3",
                                 "optimizer.learning_rate=0"], out: out)
        XCTAssertEqual(summary.stoppedReason, .earlyStopped)
        XCTAssertFalse(summary.completed)
        XCTAssertEqual(summary.steps, 8, "best at step 2, then 3 evaluations (4, 6, 8) without a better one")
        XCTAssertEqual(summary.bestStep, 2)
        XCTAssertEqual(summary.bestValidationAccuracy, summary.validationAccuracy)
        XCTAssertEqual(try evaluations(out, kind: "validation").map(\.step), [2, 4, 6, 8])
        let checkpoint = try Checkpoint.read(out + "/checkpoint.safetensors")
        XCTAssertEqual(checkpoint.step, 8)
        XCTAssertEqual(checkpoint.validation, ValidationProgress(bestStep: 2, bestAccuracy: summary.bestValidationAccuracy!, evaluationsSinceBest: 3))
        XCTAssertEqual(try ModelFile.read(out + "/best.safetensors").parameters.sha256(), summary.paramsSHA256, "nothing moved")

        XCTAssertThrowsError(try RunConfig.load(path: nil, overrides: ["data.validation=0", "train.early_stop_patience=2"])) {
            XCTAssertEqual("\($0)", "--set: train.early_stop_patience = '2' is invalid: expected 0 when data.validation is 0 (early stopping watches the validation accuracy)")
        }
    }

    func testBestWeightsAreTheWeightsAtTheBestStep() throws {
        let out = scratch + "/long"
        let summary = try train(["train.steps=12", "train.eval_every=1", "optimizer.learning_rate=0.02"], out: out)
        XCTAssertEqual(summary.stoppedReason, .completed)
        let best = try XCTUnwrap(summary.bestStep)
        let again = try train(["train.steps=\(best)", "train.eval_every=1", "optimizer.learning_rate=0.02"], out: scratch + "/until-best")
        XCTAssertEqual(try ModelFile.read(out + "/best.safetensors").parameters.sha256(), again.paramsSHA256, "best step \(best)")
        XCTAssertEqual(summary.bestValidationAccuracy, again.validationAccuracy)
        XCTAssertEqual(try evaluations(out, kind: "validation").map(\.validationAccuracy).compactMap { $0 }.max(), summary.bestValidationAccuracy)
    }

    func testResumedRunKeepsTheBestAndThePatience() throws {
        let run = ["train.steps=12", "train.eval_every=1", "train.early_stop_patience=3", "optimizer.learning_rate=0.02", "checkpoint.every=5"]
        let whole = try train(run, out: scratch + "/whole")
        XCTAssertEqual(whole.stoppedReason, .earlyStopped, "the best at step 5, then 6, 7 and 8 no better")
        XCTAssertEqual(whole.steps, 8)
        let dir = scratch + "/stopped"
        let first = try trainer(run, out: dir)
        var asked = 0
        first.shouldStop = { asked += 1; return asked > 5 }
        _ = try first.run()
        let config = try RunConfig.load(path: dir + "/config.yaml")
        let (checkpoint, _) = try Checkpoint.latest(in: dir, config: config)
        XCTAssertEqual(checkpoint.step, 5)
        XCTAssertNotNil(checkpoint.validation.bestStep)
        let setup = try TrainingSetup(config: config, parallelism: 2, runID: checkpoint.runID)
        let pool = LocalShardPool(executors: try (0..<2).map { _ in try setup.makeExecutor() })
        let resumed = try Trainer(setup: setup, backend: pool, evaluator: pool, output: try RunOutput(directory: dir))
        resumed.report = { _ in }
        try resumed.restore(from: checkpoint)
        let summary = try resumed.run()
        XCTAssertEqual(summary.paramsSHA256, whole.paramsSHA256)
        XCTAssertEqual(summary.steps, whole.steps)
        XCTAssertEqual(summary.stoppedReason, whole.stoppedReason)
        XCTAssertEqual(summary.bestStep, whole.bestStep)
        XCTAssertEqual(summary.bestValidationAccuracy, whole.bestValidationAccuracy)
        XCTAssertEqual(try ModelFile.read(dir + "/best.safetensors").parameters.sha256(),
                       try ModelFile.read(scratch + "/whole/best.safetensors").parameters.sha256())
    }

    /// A checkpoint written before validation existed (no best_* metadata) loads with a fresh progress.
    func testCheckpointWithoutValidationProgressLoads() throws {
        let plain = Checkpoint(step: 3, stepsPerEpoch: 2, runID: 1, configSHA256: "c", teacherSHA256: "",
                               values: [1, 2], state: [], optimizer: OptimizerState(kind: "SGD", step: 3, buffers: [:]))
        let file = try SafeTensors.decode(plain.encoded(), source: "old")
        XCTAssertNil(file.metadata["best_step"], "the metadata of the format before validation")
        XCTAssertEqual(try Checkpoint.decode(plain.encoded(), source: "old").validation, ValidationProgress())
        var tracked = plain
        tracked.validation = ValidationProgress(bestStep: 2, bestAccuracy: 0.4375, evaluationsSinceBest: 1)
        XCTAssertEqual(try Checkpoint.decode(tracked.encoded(), source: "new").validation, tracked.validation)
    }
}
