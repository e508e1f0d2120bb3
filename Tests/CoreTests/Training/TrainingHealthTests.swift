import Foundation
import XCTest
@testable import Core

/// A shard backend that computes shards with a pool and then writes NaN into one gradient
/// element of shard 1 at one step, as a buggy or broken worker would.
private final class PoisonedBackend: ShardBackend {
    let pool: LocalShardPool
    let poisonedStep: Int

    init(pool: LocalShardPool, poisonedStep: Int) {
        self.pool = pool
        self.poisonedStep = poisonedStep
    }

    func compute(step: Int, epoch: Int, parameterVersion: Int, parameters: ModelParameters, tasks: [ShardTask],
                 upcoming: UpcomingStep?) throws -> [ShardResult] {
        var results = try pool.compute(step: step, epoch: epoch, parameterVersion: parameterVersion, parameters: parameters, tasks: tasks)
        if step == poisonedStep, let i = results.firstIndex(where: { $0.shardIndex == 1 }) { results[i].gradients[123] = .nan }
        return results
    }
}

/// The divergence guard, non-finite gradients and stop reasons, in process and through the command line.
final class TrainingHealthTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    /// The demo's small CNN (examples/demo-student.yaml).
    private let demoStudent = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/demo-student.yaml").path

    private var small: [String] {
        ["data.train_size=256", "data.test_size=64", "train.batch_size=32", "train.shards=2",
         "model.spec=\(demoStudent)", "optimizer.name=sgd", "optimizer.learning_rate=0.01", "train.log_every=1"]
    }

    private func trainer(_ overrides: [String], out: String, poisonedStep: Int? = nil) throws -> Trainer {
        let setup = try TrainingSetup(config: try RunConfig.load(path: nil, overrides: small + overrides), parallelism: 2)
        let pool = LocalShardPool(executors: [try setup.makeExecutor(), try setup.makeExecutor()])
        let backend: ShardBackend = poisonedStep.map { PoisonedBackend(pool: pool, poisonedStep: $0) } ?? pool
        let trainer = try Trainer(setup: setup, backend: backend, evaluator: pool, output: try RunOutput(directory: out))
        trainer.report = { _ in }
        return trainer
    }

    func testANaNGradientNeverReachesTheParametersOrTheOptimiser() throws {
        let reference = try trainer(["train.steps=3"], out: harness.scratch + "/reference").run()
        for guardOn in [true, false] {
            let out = harness.scratch + "/poisoned-\(guardOn)"
            let t = try trainer(["train.steps=8", "train.divergence_guard=\(guardOn)"], out: out, poisonedStep: 3)
            let summary = try t.run()
            XCTAssertEqual(t.divergence?.cause, .nonFiniteGradient)
            XCTAssertEqual(t.divergence?.step, 4, "0-based step 3 is the fourth")
            XCTAssertEqual(summary.steps, 3)
            XCTAssertFalse(summary.completed)
            XCTAssertEqual(summary.stoppedReason, guardOn ? .diverged : .nonFinite)
            XCTAssertEqual(summary.paramsSHA256, reference.paramsSHA256, "the parameters after step 3, untouched by the NaN")
            let checkpoint = try Checkpoint.read(out + "/checkpoint.safetensors")
            XCTAssertEqual(checkpoint.step, 3)
            XCTAssertEqual(checkpoint.optimizer, try Checkpoint.read(harness.scratch + "/reference/checkpoint.safetensors").optimizer,
                           "the optimiser state never saw the step")
            XCTAssertEqual(try ModelFile.read(ModelFile.resolve(out)).parameters.sha256(), reference.paramsSHA256)
            XCTAssertEqual(try TrainingSummary.read(out + "/summary.json"), summary)
        }
    }

    func testStopReasonsAndClippedFractionInTheSummaryAndMetrics() throws {
        let completed = try trainer(["train.steps=2", "optimizer.clip_norm=0.000001"], out: harness.scratch + "/clipped").run()
        XCTAssertEqual(completed.stoppedReason, .completed)
        XCTAssertEqual(completed.clippedFraction, 1)
        let lines = try String(contentsOfFile: harness.scratch + "/clipped/metrics.jsonl", encoding: .utf8)
        let steps = try lines.split(separator: "\n").filter { $0.contains(#""kind":"step""#) }
            .map { try RunRecordJSON.decoder().decode(StepRecord.self, from: Data($0.utf8)) }
        XCTAssertEqual(steps.map(\.clippedFraction), [1, 1], lines)

        let t = try trainer(["train.steps=5"], out: harness.scratch + "/interrupted")
        var asked = 0
        t.shouldStop = { asked += 1; return asked > 2 }
        let interrupted = try t.run()
        XCTAssertEqual(interrupted.steps, 2)
        XCTAssertEqual(interrupted.stoppedReason, .interrupted)
        XCTAssertEqual(interrupted.clippedFraction, 0)
        XCTAssertNil(t.divergence)
    }

    /// Adam at learning rate 1 blows the 784-800-800 student up at its second step
    /// (loss ≈ 10⁸); with the guard off the loss comes back down and stays finite.
    private var blowUp: [String] {
        ["--set", "data.train_size=256", "--set", "data.test_size=64", "--set", "train.batch_size=32", "--set", "train.steps=12",
         "--set", "train.log_every=1", "--set", "model.spec=hinton-student", "--set", "optimizer.name=adam",
         "--set", "optimizer.learning_rate=1", "--set", "train.threads=1"]
    }

    private func coordinator(_ arguments: [String], label: String) throws -> (status: Int32?, output: String) {
        let p = try harness.start("distill-coordinator", arguments, label: label)
        return (harness.wait(p, timeout: 300), harness.output(label))
    }

    func testABlownUpRunStopsWithStatus3AndALoadableStudentAndRunsToTheEndWithTheGuardOff() throws {
        let out = harness.scratch + "/blown"
        let run = try coordinator(["train", "--out", out] + blowUp, label: "blown")
        XCTAssertEqual(run.status, Divergence.exitStatus, run.output)
        XCTAssertTrue(run.output.contains("error: training diverged at step 2: its loss "), run.output)
        XCTAssertTrue(run.output.contains("is more than 1000 × the median loss "), run.output)
        XCTAssertTrue(run.output.contains("The step was not applied; the outputs hold the parameters after step 1. Try a lower "
            + "optimizer.learning_rate, gradient clipping (optimizer.clip_norm, e.g. 1), a warm-up (optimizer.schedule: cosine with "
            + "optimizer.warmup_steps) or another initialisation (model.init, e.g. torch_default)."), run.output)
        let summary = try TrainingSummary.read(out + "/summary.json")
        XCTAssertFalse(summary.completed)
        XCTAssertEqual(summary.stoppedReason, .diverged)
        XCTAssertEqual(summary.steps, 1)
        XCTAssertEqual(try Checkpoint.read(out + "/checkpoint.safetensors").step, 1)
        XCTAssertEqual(try ModelFile.read(ModelFile.resolve(out)).parameters.sha256(), summary.paramsSHA256)
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        XCTAssertEqual(metrics.components(separatedBy: #""kind":"step""#).count - 1, 1, "only the accepted step is logged: \(metrics)")
        let evaluated = try coordinator(["evaluate", "--model", out, "--set", "data.test_size=64"], label: "evaluate")
        XCTAssertEqual(evaluated.status, 0, evaluated.output)
        XCTAssertTrue(evaluated.output.contains(#""count":64"#), evaluated.output)

        let unguarded = try coordinator(["train", "--out", harness.scratch + "/unguarded", "--set", "train.divergence_guard=false"] + blowUp,
                                        label: "unguarded")
        XCTAssertEqual(unguarded.status, 0, unguarded.output)
        let whole = try TrainingSummary.read(harness.scratch + "/unguarded/summary.json")
        XCTAssertTrue(whole.completed)
        XCTAssertEqual(whole.stoppedReason, .completed)
        XCTAssertEqual(whole.steps, 12)
    }
}
