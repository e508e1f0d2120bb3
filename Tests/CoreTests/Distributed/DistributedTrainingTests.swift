import Foundation
import XCTest
@testable import Core

/// Coordinator in this process, workers as real `distill-worker` processes on loopback TCP.
final class DistributedTrainingTests: XCTestCase {
    private var harness: ProcessHarness!

    private var teacherSHA256 = ""

    /// A randomly initialised frozen teacher, so the workers run the full KD step.
    override func setUpWithError() throws {
        harness = ProcessHarness()
        let spec = ModelPresets.hintonTeacher
        let parameters = ModelParameters(layout: try Network(spec: spec, inputShape: [32, 32, 3], classes: 10).layout)
        parameters.initialize(seed: 5)
        teacherSHA256 = parameters.sha256()
        try ModelFile(spec: spec, inputShape: [32, 32, 3], classes: 10, normalization: .unit(channels: 3), role: "teacher",
                      parameters: parameters).write(to: harness.scratch + "/teacher.safetensors")
    }

    override func tearDown() { harness.cleanUp() }

    /// 203 training images, 20 held out for validation: 183 in batches of 40, so the last batch of each epoch holds 23 images.
    private var job: [String] {
        ["data.train_size=203", "data.test_size=64", "train.batch_size=40", "train.steps=7", "train.shards=3",
         "model.spec=seed-student", "train.log_every=7", "seed=9", "teacher.checkpoint=\(harness.scratch)/teacher.safetensors"]
    }

    private func singleProcess(_ extra: [String] = [], label: String = "single") throws -> TrainingSummary {
        let setup = try TrainingSetup(config: try RunConfig.load(path: nil, overrides: job + extra), parallelism: 2)
        let pool = LocalShardPool(executors: [try setup.makeExecutor(), try setup.makeExecutor()])
        let trainer = try Trainer(setup: setup, backend: pool, evaluator: pool, output: try RunOutput(directory: harness.scratch + "/" + label))
        trainer.report = { _ in }
        return try trainer.run()
    }

    private func distributed(workers: Int, label: String, _ extra: [String] = []) throws -> (TrainingSummary, CoordinatorStatistics) {
        let setup = try TrainingSetup(config: try RunConfig.load(path: nil, overrides: job + extra), parallelism: workers)
        let probe = try Network(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes)
        var options = CoordinatorServer.Options()
        options.minWorkers = workers
        let server = try CoordinatorServer(
            transport: try Transport(security: .insecure), endpoint: "tcp://127.0.0.1:0", run: RunDescription(setup: setup, runID: 77),
            teacher: setup.teacher?.parameters, shape: ResultShape(network: probe), options: options, stop: StopFlag())
        server.report = { _ in }
        let procs = try (0..<workers).map { i in
            try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", server.endpoint, "--insecure", "--name", "\(label)-\(i)", "--coordinator-timeout", "60"],
                              label: "\(label)-\(i)")
        }
        let pool = LocalShardPool(executors: [try setup.makeExecutor()])
        let trainer = try Trainer(setup: setup, backend: server, evaluator: pool, output: try RunOutput(directory: harness.scratch + "/" + label))
        trainer.report = { _ in }
        let summary = try trainer.run()
        server.shutdown(reason: "test finished")
        for (i, p) in procs.enumerated() {
            XCTAssertEqual(harness.wait(p, timeout: 10), 0, harness.output("\(label)-\(i)"))
            XCTAssertTrue(harness.output("\(label)-\(i)").contains("teacher parameters unchanged (sha256 \(teacherSHA256))"),
                          harness.output("\(label)-\(i)"))
        }
        return (summary, server.statistics)
    }

    func testOneToFourWorkersGiveTheSingleProcessParameters() throws {
        let reference = try singleProcess()
        for workers in [1, 2, 3, 4] {
            let (summary, statistics) = try distributed(workers: workers, label: "w\(workers)")
            XCTAssertEqual(summary.steps, 7)
            XCTAssertEqual(summary.teacherParamsSHA256, teacherSHA256)
            XCTAssertEqual(summary.paramsSHA256, reference.paramsSHA256, "\(workers) workers, 3 shards, uneven last batch")
            XCTAssertEqual(summary.testAccuracy, reference.testAccuracy)
            XCTAssertEqual(summary.validationAccuracy, reference.validationAccuracy)
            XCTAssertEqual(summary.bestStep, reference.bestStep)
            XCTAssertEqual(statistics.joined, workers)
            XCTAssertEqual(statistics.staleResults, 0)
            XCTAssertEqual(statistics.rejectedResults, 0)
            XCTAssertGreaterThan(summary.bytesReceivedPerStep ?? 0, 3 * 769_162 * 4, "every shard returns its gradients")
        }
    }

    /// Under `train.wire_gradients: bf16` the single-process trainer rounds each shard's gradient
    /// sum as a worker does before sending it, so both give the same parameters; the rounding
    /// changes them (so the key does something) and the results come back in about half the bytes.
    func testBF16GradientsGiveTheSingleProcessParameters() throws {
        let bf16 = ["train.wire_gradients=bf16"]
        let reference = try singleProcess(bf16, label: "single-bf16")
        XCTAssertNotEqual(reference.paramsSHA256, try singleProcess().paramsSHA256, "bf16 rounding changes the parameters")
        let (summary, statistics) = try distributed(workers: 2, label: "w2-bf16", bf16)
        XCTAssertEqual(summary.paramsSHA256, reference.paramsSHA256, "2 workers, 3 shards, bf16 gradients")
        XCTAssertEqual(statistics.rejectedResults, 0)
        let received = summary.bytesReceivedPerStep ?? 0
        XCTAssertGreaterThan(received, 3 * 769_162 * 2, "every shard returns its gradients as bfloat16")
        XCTAssertLessThan(received, 3 * 769_162 * 4, "not as float32")
    }

    /// Clipping acts on the reduced gradient, so it clips the same numbers in both modes; bounds
    /// this low clip every step (by value, then by norm) and give other parameters than no clipping.
    func testClippingGivesTheSameParametersOnWorkersAsInOneProcess() throws {
        let clipping = ["optimizer.clip_value=0.001", "optimizer.clip_norm=0.05", "model.init=torch_default"]
        let reference = try singleProcess(clipping, label: "single-clipped")
        XCTAssertEqual(reference.clippedFraction, 1)
        XCTAssertNotEqual(reference.paramsSHA256, try singleProcess(["model.init=torch_default"], label: "single-unclipped").paramsSHA256)
        let (summary, _) = try distributed(workers: 2, label: "w2-clipped", clipping)
        XCTAssertEqual(summary.paramsSHA256, reference.paramsSHA256, "2 workers, 3 shards")
        XCTAssertEqual(summary.clippedFraction, 1)
    }
}
