import Foundation
import XCTest
@testable import Core

final class CheckpointTests: XCTestCase {
    private var scratch: String!

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "/distill-checkpoint-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// 200 images, 20 held out for validation, 180 in batches of 32: 6 steps per epoch, so 12 steps cross an epoch boundary.
    private let small = ["data.train_size=200", "data.test_size=50", "train.batch_size=32", "model.spec=hinton-student",
                         "train.shards=2", "train.steps=12", "train.log_every=1", "checkpoint.every=5"]

    private func trainer(config: RunConfig, out: String, runID: UInt64 = .random(in: 1...UInt64.max)) throws -> Trainer {
        let setup = try TrainingSetup(config: config, parallelism: 2, runID: runID)
        let pool = LocalShardPool(executors: try (0..<2).map { _ in try setup.makeExecutor() })
        let trainer = try Trainer(setup: setup, backend: pool, evaluator: pool, output: try RunOutput(directory: out))
        trainer.report = { _ in }
        return trainer
    }

    /// Trains `small + extra` into `out`, stopping after `stopAfter` steps when given.
    @discardableResult
    private func train(_ extra: [String] = [], out: String, stopAfter: Int? = nil) throws -> TrainingSummary {
        let t = try trainer(config: try RunConfig.load(path: nil, overrides: small + extra), out: out)
        if let stopAfter {
            var asked = 0
            t.shouldStop = { asked += 1; return asked > stopAfter }
        }
        return try t.run()
    }

    /// What `train --resume DIR` does: the folder's config, its latest checkpoint, restore, run.
    private func resume(_ directory: String) throws -> (summary: TrainingSummary, from: Int, notice: String?) {
        let config = try RunConfig.load(path: directory + "/config.yaml")
        let (checkpoint, notice) = try Checkpoint.latest(in: directory, config: config)
        let t = try trainer(config: config, out: directory, runID: checkpoint.runID)
        try t.restore(from: checkpoint)
        return (try t.run(), checkpoint.step, notice)
    }

    private func copy(_ directory: String, to name: String) throws -> String {
        let target = scratch + "/" + name
        try FileManager.default.copyItem(atPath: directory, toPath: target)
        return target
    }

    private func stepLines(_ directory: String) throws -> [Int] {
        try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .filter { $0.contains(#""kind":"step""#) }
            .map { line in Int(line[line.range(of: #""step":"#)!.upperBound...].prefix { $0.isNumber })! }
    }

    // MARK: - (a) file round trip

    func testRoundTripKeepsEveryFieldAndBit() throws {
        let values: [Float] = [1.5, -2, .leastNonzeroMagnitude, -0.0, .greatestFiniteMagnitude, 3e-8]
        let original = Checkpoint(step: 9, stepsPerEpoch: 4, runID: .max, configSHA256: RunConfig().hash, teacherSHA256: "t",
                                  values: values, state: [],
                                  optimizer: OptimizerState(kind: "Adam", step: 9, buffers: ["firstMoment": values.map { $0 / 3 },
                                                                                             "secondMoment": values.map { $0 * $0 }]))
        try original.write(inDirectory: scratch)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/checkpoint.next.safetensors"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/checkpoint.prev.safetensors"), "nothing to keep yet")
        let path = scratch + "/checkpoint.safetensors"
        let read = try Checkpoint.read(path)
        XCTAssertEqual(read.source, path)
        XCTAssertEqual(read.step, 9)
        XCTAssertEqual(read.teacherSHA256, "t")
        XCTAssertEqual(read.epoch, 2)
        XCTAssertEqual(read.stepsPerEpoch, 4)
        XCTAssertEqual(read.runID, .max)
        XCTAssertEqual(read.configSHA256, RunConfig().hash)
        XCTAssertEqual(read.values.map(\.bitPattern), values.map(\.bitPattern))
        XCTAssertEqual(read.state, [])
        XCTAssertEqual(read.optimizer, original.optimizer)
        XCTAssertEqual(read.encoded(), try AtomicFile.read(path), "re-encoding gives the same bytes")

        let metadata = try SafeTensors.decode(try AtomicFile.read(path), source: path).metadata
        XCTAssertEqual(metadata["distill.checkpoint_format"], "1")
        XCTAssertEqual(metadata["epoch"], "2")
        XCTAssertEqual(metadata["steps_per_epoch"], "4")
        XCTAssertEqual(metadata["optimizer_kind"], "Adam")
        XCTAssertEqual(metadata["optimizer_step"], "9")
        XCTAssertEqual(metadata["run_id"], "18446744073709551615")
        XCTAssertEqual(metadata["params_sha256"], values.withUnsafeBytes { SHA256.hex($0) }, "values then (empty) state, as ModelParameters hashes")
        XCTAssertEqual(metadata["payload_sha256"]?.count, 64)
    }

    // MARK: - (b) damaged or mismatched checkpoints are refused, nothing written

    /// A folder from a finished 3-step run, holding one checkpoint.
    private func finishedRun() throws -> String {
        let out = scratch + "/done"
        try train(["train.steps=3"], out: out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/checkpoint.prev.safetensors"))
        return out
    }

    private func assertRefused(_ directory: String, _ expected: (CheckpointError.Problem) -> Bool, message: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try folderSnapshot(directory)
        XCTAssertThrowsError(try resume(directory), file: file, line: line) { error in
            guard let error = error as? CheckpointError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertTrue(expected(error.problem), "\(error.problem)", file: file, line: line)
            XCTAssertEqual(error.path, directory + "/checkpoint.safetensors", file: file, line: line)
            XCTAssertTrue(error.description.contains(message), error.description, file: file, line: line)
        }
        XCTAssertEqual(try folderSnapshot(directory), before, "the folder's files are unchanged", file: file, line: line)
    }

    func testFlippedDataByteIsRefusedByTheChecksum() throws {
        let dir = try copy(try finishedRun(), to: "flipped")
        var bytes = try AtomicFile.read(dir + "/checkpoint.safetensors")
        bytes[bytes.count - 5] ^= 0x10
        try AtomicFile.write(bytes, to: dir + "/checkpoint.safetensors")
        try assertRefused(dir, { if case .checksumMismatch = $0 { return true } else { return false } },
                          message: "corrupt checkpoint: payload_sha256 is")
    }

    func testOtherFormatVersionIsRefused() throws {
        let dir = try copy(try finishedRun(), to: "version")
        let path = dir + "/checkpoint.safetensors"
        var file = try SafeTensors.decode(try AtomicFile.read(path), source: path)
        file.metadata["distill.checkpoint_format"] = "2"
        try AtomicFile.write(file.encoded(), to: path)
        try assertRefused(dir, { $0 == .unsupportedFormat(found: "2", supported: "1") },
                          message: "checkpoint format '2' is not supported (this build reads format 1)")
    }

    func testConfigEditedAfterTheRunIsRefused() throws {
        let dir = try copy(try finishedRun(), to: "edited")
        let yaml = try String(contentsOfFile: dir + "/config.yaml", encoding: .utf8)
        XCTAssertTrue(yaml.contains("seed: 1\n"))
        try AtomicFile.write(Array(yaml.replacingOccurrences(of: "seed: 1\n", with: "seed: 2\n").utf8), to: dir + "/config.yaml")
        let stored = try Checkpoint.read(dir + "/checkpoint.safetensors").configSHA256
        let edited = try RunConfig.load(path: dir + "/config.yaml").hash
        try assertRefused(dir, { $0 == .configMismatch(checkpoint: stored, config: edited) },
                          message: "checkpoint was written for configuration sha256 \(stored), but config.yaml now hashes to \(edited)")
    }

    func testTruncatedFileIsRefused() throws {
        let dir = try copy(try finishedRun(), to: "truncated")
        let bytes = try AtomicFile.read(dir + "/checkpoint.safetensors")
        try AtomicFile.write(Array(bytes.prefix(bytes.count - 100)), to: dir + "/checkpoint.safetensors")
        try assertRefused(dir, { if case .malformed = $0 { return true } else { return false } },
                          message: "corrupt checkpoint: data section has")
        try AtomicFile.write(Array(bytes.prefix(6)), to: dir + "/checkpoint.safetensors")
        try assertRefused(dir, { if case .malformed = $0 { return true } else { return false } },
                          message: "corrupt checkpoint: truncated: 6 bytes")
    }

    func testFolderWithoutCheckpointIsRefused() throws {
        XCTAssertThrowsError(try Checkpoint.latest(in: scratch, config: RunConfig())) { error in
            XCTAssertEqual(error as? CheckpointError, CheckpointError(path: scratch, problem: .none))
            XCTAssertTrue("\(error)".hasSuffix("no checkpoint.safetensors or checkpoint.prev.safetensors, nothing to resume"), "\(error)")
        }
    }

    func testRestoreChecksTheCheckpointFitsBeforeChangingAnything() throws {
        let done = try finishedRun()
        let config = try RunConfig.load(path: done + "/config.yaml")
        let good = try Checkpoint.read(done + "/checkpoint.safetensors")
        let t = try trainer(config: config, out: scratch + "/fresh", runID: good.runID)
        let initial = t.setup.student.sha256()
        var shorter = good
        shorter.values.removeLast()
        var otherRun = good
        otherRun.runID &+= 1
        var otherOptimizer = good
        otherOptimizer.optimizer.kind = "SGD"
        var otherTeacher = good
        otherTeacher.teacherSHA256 = "0123456789abcdef"
        for (bad, message) in [(shorter, "parameters, the model has"), (otherRun, "run id"), (otherOptimizer, "optimizer state is for SGD, expected Adam"),
                               (otherTeacher, "the teacher's weights changed since the checkpoint (sha256 0123456789ab…, now …)")] {
            XCTAssertThrowsError(try t.restore(from: bad)) { error in
                XCTAssertTrue("\(error)".contains("checkpoint does not fit this run: ") && "\(error)".contains(message), "\(error)")
            }
            XCTAssertEqual(t.startStep, 0)
            XCTAssertEqual(t.setup.student.sha256(), initial)
        }
        try t.restore(from: good)
        XCTAssertEqual(t.startStep, 3)
        XCTAssertEqual(t.setup.student.sha256(), good.paramsSHA256)
    }

    // MARK: - (c) exact resume, (d) the previous checkpoint

    func testResumeKeepsBatchNormStatisticsDropoutAndMomentum() throws {
        let spec = scratch + "/tiny.yaml"
        try AtomicFile.write(Array("""
            name: tiny-bn
            layers:
              - {type: conv2d, filters: 4, kernel: 3, stride: 2}
              - {type: batchnorm}
              - {type: relu}
              - {type: dropout, rate: 0.3}
              - {type: globalavgpool}
              - {type: dense}
            """.utf8), to: spec)
        let extra = ["model.spec=\(spec)", "optimizer.name=sgd", "optimizer.nesterov=true", "optimizer.learning_rate=0.05"]
        let whole = try train(extra, out: scratch + "/whole")
        let dir = scratch + "/stopped"
        try train(extra, out: dir, stopAfter: 7)
        let checkpoint = try Checkpoint.read(dir + "/checkpoint.safetensors")
        XCTAssertFalse(checkpoint.state.isEmpty, "the model has BatchNorm running statistics")
        XCTAssertNotEqual(checkpoint.state.filter { $0 != 0 && $0 != 1 }.count, 0, "statistics moved away from their initial 0 and 1")
        XCTAssertEqual(checkpoint.optimizer.kind, "SGD")
        XCTAssertEqual(try resume(dir).summary.paramsSHA256, whole.paramsSHA256)
    }

    func testStoppedAndResumedRunMatchesAnUninterruptedOne() throws {
        let whole = try train(out: scratch + "/whole")
        XCTAssertEqual(whole.steps, 12)
        XCTAssertEqual(try Checkpoint.read(scratch + "/whole/checkpoint.safetensors").step, 12)
        XCTAssertEqual(try Checkpoint.read(scratch + "/whole/checkpoint.prev.safetensors").step, 10)

        let dir = scratch + "/stopped"
        let stopped = try train(out: dir, stopAfter: 7)
        XCTAssertEqual(stopped.steps, 7)
        XCTAssertFalse(stopped.completed)
        let current = try Checkpoint.read(dir + "/checkpoint.safetensors")
        XCTAssertEqual(current.step, 7)
        XCTAssertEqual(current.epoch, 1, "6 steps per epoch: the next step starts epoch 1")
        XCTAssertEqual(current.paramsSHA256, stopped.paramsSHA256)
        XCTAssertEqual(try Checkpoint.read(dir + "/checkpoint.prev.safetensors").step, 5, "the previous checkpoint is kept")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/checkpoint.next.safetensors"))
        let fallbackCopy = try copy(dir, to: "fallback")
        let missingCopy = try copy(dir, to: "missing")

        let resumed = try resume(dir)
        XCTAssertNil(resumed.notice)
        XCTAssertEqual(resumed.from, 7)
        XCTAssertEqual(resumed.summary.steps, 12)
        XCTAssertTrue(resumed.summary.completed)
        XCTAssertEqual(resumed.summary.paramsSHA256, whole.paramsSHA256, "bit-identical to the uninterrupted run")
        XCTAssertEqual(try ModelFile.read(dir + "/teacher.safetensors").parameters.sha256(), whole.paramsSHA256)
        XCTAssertEqual(try stepLines(dir), Array(1...12), "metrics.jsonl continues, every step once")
        XCTAssertEqual(try Checkpoint.read(dir + "/checkpoint.safetensors").step, 12)
        XCTAssertEqual(try Checkpoint.read(dir + "/checkpoint.prev.safetensors").step, 10)

        // A damaged current checkpoint: resume falls back to step 5, says so, and still ends on the same bits.
        var bytes = try AtomicFile.read(fallbackCopy + "/checkpoint.safetensors")
        bytes[bytes.count - 1] ^= 0x01
        try AtomicFile.write(bytes, to: fallbackCopy + "/checkpoint.safetensors")
        let fallback = try resume(fallbackCopy)
        XCTAssertEqual(fallback.from, 5)
        XCTAssertTrue(fallback.notice?.contains("corrupt checkpoint") ?? false, fallback.notice ?? "no notice")
        XCTAssertTrue(fallback.notice?.hasSuffix("resuming from checkpoint.prev.safetensors instead (step 5)") ?? false, fallback.notice ?? "")
        XCTAssertEqual(fallback.summary.paramsSHA256, whole.paramsSHA256)
        XCTAssertEqual(try stepLines(fallbackCopy), Array(1...12), "lines for steps 6 and 7 are dropped before they are logged again")

        try FileManager.default.removeItem(atPath: missingCopy + "/checkpoint.safetensors")
        let missing = try resume(missingCopy)
        XCTAssertEqual(missing.from, 5)
        XCTAssertTrue(missing.notice?.contains("checkpoint.safetensors is missing") ?? false, missing.notice ?? "no notice")
        XCTAssertEqual(missing.summary.paramsSHA256, whole.paramsSHA256)
    }

    func testOnlyDamageFallsBack() throws {
        let dir = scratch + "/stopped"
        try train(out: dir, stopAfter: 7)
        let config = try RunConfig.load(path: dir + "/config.yaml")
        let path = dir + "/checkpoint.safetensors"
        var file = try SafeTensors.decode(try AtomicFile.read(path), source: path)
        file.metadata["distill.checkpoint_format"] = "2"
        try AtomicFile.write(file.encoded(), to: path)
        XCTAssertThrowsError(try Checkpoint.latest(in: dir, config: config)) { error in
            XCTAssertEqual((error as? CheckpointError)?.problem, .unsupportedFormat(found: "2", supported: "1"))
        }
        let previous = dir + "/checkpoint.prev.safetensors"
        try AtomicFile.write([1, 2, 3], to: path)
        var bytes = try AtomicFile.read(previous)
        bytes[bytes.count - 1] ^= 0x01
        try AtomicFile.write(bytes, to: previous)
        XCTAssertThrowsError(try Checkpoint.latest(in: dir, config: config)) { error in
            XCTAssertEqual(error as? CheckpointError, CheckpointError(path: path, problem: .malformed("truncated: 3 bytes, fewer than the 8-byte header length")),
                           "both damaged: the current file's damage is reported")
        }
    }
}

/// Every file in `directory` and its subfolders by relative path, with its bytes: compared before and after to show nothing was written.
func folderSnapshot(_ directory: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for name in try FileManager.default.subpathsOfDirectory(atPath: directory) where !FileSystem.isDirectory(directory + "/" + name) {
        files[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
    }
    return files
}
