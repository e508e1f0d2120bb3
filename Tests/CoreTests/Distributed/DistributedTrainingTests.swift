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

    /// Worker 0 is killed right after step 2's results are in, while both workers hold a task of
    /// step 3 sent ahead of its parameters: its copy goes to the other worker when step 3 begins,
    /// and the run ends with the single process's parameters.
    func testWorkerKilledHoldingATaskAheadChangesNothing() throws {
        let reference = try singleProcess()
        let setup = try TrainingSetup(config: try RunConfig.load(path: nil, overrides: job), parallelism: 2)
        let probe = try Network(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes)
        var options = CoordinatorServer.Options()
        options.peerTimeout = 3
        let server = try CoordinatorServer(
            transport: try Transport(security: .insecure), endpoint: "tcp://127.0.0.1:0", run: RunDescription(setup: setup, runID: 78),
            teacher: setup.teacher?.parameters, shape: ResultShape(network: probe), options: options, stop: StopFlag())
        server.report = { _ in }
        let procs = try (0..<2).map { i in
            try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", server.endpoint, "--insecure", "--name", "ahead-\(i)",
                                                 "--coordinator-timeout", "60"], label: "ahead-\(i)")
        }
        let empty = ModelParameters(layout: ParameterLayout(layers: [], typeNames: []))
        XCTAssertTrue(harness.eventually(timeout: 30) {
            _ = try? server.compute(step: 0, epoch: 0, parameterVersion: 0, parameters: empty, tasks: [])
            return server.workerCount == 2
        }, "both workers join")
        var heldAhead: Int?
        let backend = StepHook(server) { step in
            guard step == 2 else { return }
            heldAhead = server.upcoming?.outstanding.values.reduce(0, +)
            kill(procs[0].processIdentifier, SIGKILL)
        }
        let pool = LocalShardPool(executors: [try setup.makeExecutor()])
        let trainer = try Trainer(setup: setup, backend: backend, evaluator: pool, output: try RunOutput(directory: harness.scratch + "/ahead"))
        trainer.report = { _ in }
        let summary = try trainer.run()
        server.shutdown(reason: "test finished")
        XCTAssertEqual(harness.wait(procs[1], timeout: 10), 0, harness.output("ahead-1"))
        XCTAssertEqual(heldAhead, 2, "steps 2 and 3 share an epoch: each worker holds one of step 3's tasks when the kill comes")
        XCTAssertEqual(summary.paramsSHA256, reference.paramsSHA256)
        XCTAssertEqual(server.statistics.lost, 1)
        XCTAssertEqual(server.statistics.rejectedResults, 0)
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

/// The coordinator as the trainer's backend, with `afterStep` called once each step's results
/// are in, before the trainer reduces them.
private final class StepHook: ShardBackend {
    let server: CoordinatorServer
    let afterStep: (Int) -> Void

    init(_ server: CoordinatorServer, afterStep: @escaping (Int) -> Void) {
        self.server = server
        self.afterStep = afterStep
    }

    var takesUpcomingSteps: Bool { server.takesUpcomingSteps }

    func compute(step: Int, epoch: Int, parameterVersion: Int, parameters: ModelParameters, tasks: [ShardTask],
                 upcoming: UpcomingStep?) throws -> [ShardResult] {
        let results = try server.compute(step: step, epoch: epoch, parameterVersion: parameterVersion, parameters: parameters,
                                         tasks: tasks, upcoming: upcoming)
        afterStep(step)
        return results
    }
}
