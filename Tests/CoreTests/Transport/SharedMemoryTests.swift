import Foundation
import XCTest
@testable import Core

/// Local mode's shared memory: the regions, the references messages carry into them, and the
/// gradient buffers a worker keeps there.
final class SharedMemoryTests: XCTestCase {
    private var folder: PrivateFolder!
    override func setUpWithError() throws { folder = try PrivateFolder.sharedMemory() }
    override func tearDown() { folder = nil }

    func testARegionIsSharedBetweenItsMappingsAndChecksEveryReference() throws {
        let path = folder.path + "/region"
        let writer = try SharedMemoryRegion(creating: path, bytes: 1000)
        let values = writer.mutableFloats(offset: 128, count: 4)
        _ = values.update(fromContentsOf: [1, -2, 3.5, .nan])
        let reader = try SharedMemoryRegion(opening: path)
        XCTAssertFalse(reader.writable)
        let read = try reader.floats(offset: 128, count: 4)
        XCTAssertEqual(Array(read.prefix(3)), [1, -2, 3.5])
        XCTAssertTrue(read[3].isNaN)
        XCTAssertEqual(read.sharedOffset, 128)
        values[0] = 7  // a later write is seen in place: nothing was copied
        XCTAssertEqual(read[0], 7)

        for (offset, count) in [(UInt64(1000), 1), (960, 11), (100, 1), (UInt64.max - 63, 1), (0, Int.max / 2)] {
            XCTAssertThrowsError(try reader.floats(offset: offset, count: count), "\(offset) + \(count) floats") { error in
                guard case .outOfRange(path, offset, _, 1000)? = error as? SharedMemoryError else { return XCTFail("\(error)") }
            }
        }
    }

    func testOnlyAFreshFileIsCreatedAndOnlyThisUsersRegularFileOpened() throws {
        let path = folder.path + "/region"
        _ = try SharedMemoryRegion(creating: path, bytes: 64)
        XCTAssertThrowsError(try SharedMemoryRegion(creating: path, bytes: 64)) { error in
            XCTAssertEqual((error as? IOError)?.code, EEXIST)
        }
        XCTAssertThrowsError(try SharedMemoryRegion(opening: path, minimumBytes: 65)) { error in
            XCTAssertEqual(error as? SharedMemoryError, .tooSmall(path: path, bytes: 64, needed: 65))
        }
        XCTAssertThrowsError(try SharedMemoryRegion(opening: folder.path)) { error in
            XCTAssertEqual(error as? SharedMemoryError, .notOwnRegularFile(path: folder.path))
        }
        symlink(path, folder.path + "/link")
        XCTAssertThrowsError(try SharedMemoryRegion(opening: folder.path + "/link")) { error in
            XCTAssertEqual((error as? IOError)?.code, ELOOP, "a link is not followed")
        }
        XCTAssertThrowsError(try SharedMemoryRegion(opening: folder.path + "/missing")) { error in
            XCTAssertEqual((error as? IOError)?.code, ENOENT)
        }
    }

    func testNamesThatCanNameAFile() {
        for name in ["local-0-123-0", "host.example-9_1"] { XCTAssertTrue(SharedMemoryRegion.usableName(name), name) }
        for name in ["", ".hidden", "../escape", "a/b", "spaced name", "é", String(repeating: "x", count: 201)] {
            XCTAssertFalse(SharedMemoryRegion.usableName(name), name)
        }
    }

    func testFoldersOfDeadRunsAreRemovedAndLiveOnesKept() throws {
        // A process that has exited: its pid is free until reused.
        let exited = Process()
        exited.executableURL = URL(fileURLWithPath: "/bin/true")
        try exited.run()
        exited.waitUntilExit()
        let dead = PrivateFolder.sharedMemoryRoot + "/distill-shm-\(exited.processIdentifier)-abcdef"
        try FileManager.default.createDirectory(atPath: dead, withIntermediateDirectories: false)
        FileManager.default.createFile(atPath: dead + "/parameters", contents: Data([1, 2, 3]))
        let another = try PrivateFolder.sharedMemory()
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead), "a killed run's folder is given back")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.path), "a running process's folder stays")
        XCTAssertTrue(another.path.hasPrefix(PrivateFolder.sharedMemoryRoot + "/distill-shm-\(getpid())-"))
        let path = another.path
        withExtendedLifetime(another) {}
        _ = consume another
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "removed when it goes")
    }

    // MARK: Messages

    func testAResultNamesItsSharedGradientsAndDecodesInPlace() throws {
        let region = try SharedMemoryRegion(creating: folder.path + "/gradients-w", bytes: 4096)
        let buffer = GradientBuffer(region: region, offset: 1024, count: 6)
        _ = buffer.values.update(fromContentsOf: [0.5, -1, 2, 0, 3e-8, 9])
        let result = ShardResult(shardIndex: 2, loss: LossSums(total: 1, hard: 0.5, soft: 0.5, correct: 1, count: 3),
                                 batchStatistics: [1, 2], gradients: FloatValues(buffer: buffer), computeSeconds: 0.25)
        let frames = WireCodec.encode(.result(result), runID: 5, step: 3, parameterVersion: 3)
        XCTAssertEqual(frames[3].bytes, [0, 4, 0, 0, 0, 0, 0, 0], "the gradients frame holds the offset 1024, not the values")
        let opened = try SharedMemoryRegion(opening: region.path)
        let (header, message) = try WireCodec.decode(frames, sharedMemory: { opened })
        XCTAssertEqual(header.flags, WireHeader.sharedMemoryFlag)
        guard case let .result(decoded) = message else { return XCTFail("\(message)") }
        XCTAssertEqual(decoded, result)
        XCTAssertEqual(decoded.gradients.sharedOffset, 1024)
        XCTAssertNil(decoded.gradients.checkedMagnitude, "values in shared memory are checked where they are used, not by the decoder")

        XCTAssertThrowsError(try WireCodec.decode(frames)) { error in
            XCTAssertEqual(error as? WireError, .sharedMemory("result.gradients names shared memory, which this connection does not share"))
        }
        let small = try SharedMemoryRegion(creating: folder.path + "/small", bytes: 1024)
        XCTAssertThrowsError(try WireCodec.decode(frames, sharedMemory: { small })) { error in
            guard case .sharedMemory(let detail)? = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("24 bytes at offset 1024"), detail)
        }
        XCTAssertThrowsError(try WireCodec.decode(frames, sharedMemory: { try SharedMemoryRegion(opening: self.folder.path + "/none") })) { error in
            guard case .sharedMemory(let detail)? = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("No such file"), detail)
        }
    }

    func testParametersNamedInSharedMemoryDecodeToTheSameValues() throws {
        let region = try SharedMemoryRegion(creating: folder.path + "/parameters", bytes: 256)
        _ = region.mutableFloats(offset: 64, count: 3).update(fromContentsOf: [1, 2, 3])
        let payload = ParametersPayload(version: 7, parameters: region.floats(inPlaceAt: 64, count: 3), state: [0.5])
        let frames = WireCodec.encode(.parameters(payload), runID: 1, step: 7, parameterVersion: 7)
        XCTAssertEqual(frames[2].count, 8)
        let (header, message) = try WireCodec.decode(frames, sharedMemory: { region })
        XCTAssertEqual(header.flags, WireHeader.sharedMemoryFlag)
        XCTAssertEqual(message, .parameters(ParametersPayload(version: 7, parameters: [1, 2, 3], state: [0.5])))
    }

    func testTheOfferAndTheAcceptanceTravelAsTheHeaderFlag() throws {
        let join = JoinPayload(workerName: "local-0", threads: 1, sharesMemory: true)
        let (joinHeader, decodedJoin) = try WireCodec.decode(WireCodec.encode(.join(join), runID: 0, step: 0, parameterVersion: 0))
        XCTAssertEqual(joinHeader.flags, WireHeader.sharedMemoryFlag)
        XCTAssertEqual(decodedJoin, .join(join))
        let welcome = WireCodec.encode(.welcome(WelcomePayload(run: sampleRun(runID: 4, teacher: nil), teacherParameters: .empty, teacherState: .empty)),
                                       runID: 4, step: 0, parameterVersion: 0)
        let accepted = WireCodec.flagged(welcome, WireHeader.sharedMemoryFlag)
        XCTAssertEqual(try WireCodec.decode(accepted).header.flags, WireHeader.sharedMemoryFlag)
        XCTAssertEqual(try WireCodec.decode(accepted).message, try WireCodec.decode(welcome).message)
        // No other kind may carry it.
        let ready = WireCodec.flagged(WireCodec.encode(.ready(credit: 1), runID: 4, step: 0, parameterVersion: 0), WireHeader.sharedMemoryFlag)
        XCTAssertThrowsError(try WireCodec.decode(ready)) { error in
            XCTAssertEqual(error as? WireError, .unsupportedFlags(WireHeader.sharedMemoryFlag))
        }
    }

    // MARK: When a region cannot be made

    /// A coordinator whose folder cannot hold its parameters region accepts no offer: the run
    /// goes through the socket.
    func testACoordinatorThatCannotMakeItsRegionSharesNothing() throws {
        let run = sampleRun(runID: 9, teacher: nil)
        var options = CoordinatorServer.Options()
        options.sharedMemoryFolder = folder.path + "/missing"
        let server = try CoordinatorServer(
            transport: try Transport(security: .insecure), endpoint: "inproc://shared-memory-missing", run: run, teacher: nil,
            shape: ResultShape(network: try Network(spec: run.studentSpec, inputShape: run.inputShape, classes: run.classes)),
            options: options, stop: StopFlag())
        XCTAssertNil(server.sharedParameters)
        options.sharedMemoryFolder = folder.path
        let sharing = try CoordinatorServer(
            transport: try Transport(security: .insecure), endpoint: "inproc://shared-memory-made", run: run, teacher: nil,
            shape: ResultShape(network: try Network(spec: run.studentSpec, inputShape: run.inputShape, classes: run.classes)),
            options: options, stop: StopFlag())
        XCTAssertEqual(sharing.sharedParameters?.byteCount, 4 * 130)
    }

    /// A master moved into the parameters region keeps its bits and trains to the heap master's,
    /// and a coordinator given that region names it instead of making its own (one too small
    /// for the student: it shares nothing).
    func testAMasterMovedIntoTheRegionKeepsItsBitsAndIsWhatTheCoordinatorNames() throws {
        let config = try RunConfig.load(path: nil, overrides: [
            "data.train_size=64", "data.validation=0", "data.test_size=16", "train.batch_size=32", "train.shards=2", "train.steps=3",
        ])
        let heap = try TrainingSetup(config: config, parallelism: 2), moved = try TrainingSetup(config: config, parallelism: 2)
        let region = try moved.moveStudentToSharedMemory(folder: folder.path)
        XCTAssertEqual(region.path, SharedMemoryRegion.parametersPath(folder: folder.path))
        XCTAssertEqual(UnsafeMutableRawPointer(moved.student.values.baseAddress!), region.base)
        XCTAssertEqual(moved.student.sha256(), heap.student.sha256())
        XCTAssertThrowsError(try moved.moveStudentToSharedMemory(folder: folder.path), "the region exists already")
        for setup in [heap, moved] {
            let pool = LocalShardPool(executors: try (0..<2).map { _ in try setup.makeExecutor() })
            let trainer = try Trainer(setup: setup, backend: pool, evaluator: pool, output: try RunOutput(directory: folder.path + "/run-\(setup === heap)"))
            for step in 0..<3 { try trainer.trainStep(step) }
        }
        XCTAssertEqual(moved.student.sha256(), heap.student.sha256())

        let shape = ResultShape(network: try Network(spec: moved.studentSpec, inputShape: moved.inputShape, classes: moved.classes))
        var options = CoordinatorServer.Options()
        options.sharedMemoryFolder = folder.path
        options.sharedParameters = region
        let server = try CoordinatorServer(
            transport: try Transport(security: .insecure), endpoint: "inproc://shared-memory-moved", run: RunDescription(setup: moved, runID: 9),
            teacher: nil, shape: shape, options: options, stop: StopFlag())
        XCTAssertTrue(server.sharedParameters === region)
        options.sharedParameters = try SharedMemoryRegion(creating: folder.path + "/small", bytes: 64)
        let refusing = try CoordinatorServer(
            transport: try Transport(security: .insecure), endpoint: "inproc://shared-memory-small", run: RunDescription(setup: moved, runID: 9),
            teacher: nil, shape: shape, options: options, stop: StopFlag())
        XCTAssertNil(refusing.sharedParameters)
    }

    /// A worker that cannot make its gradients region says so and sends its gradients in frames.
    func testAWorkerThatCannotMakeItsRegionSendsGradientsInFrames() throws {
        let taken = folder.path + "/gradients-taken"
        _ = try SharedMemoryRegion(creating: taken, bytes: 64)
        let parameters = try SharedMemoryRegion(creating: SharedMemoryRegion.parametersPath(folder: folder.path), bytes: 4 * 130)
        _ = parameters.mutableFloats(offset: 0, count: 130).update(repeating: 0.01)
        var lines: [String] = []
        let pool = try ComputePool(welcome: WelcomePayload(run: sampleRun(runID: 9, teacher: nil)), threads: 1, wakeup: try WakeupPipe(),
                                   sharedParameters: parameters, sharedGradientsPath: taken, report: { lines.append($0) })
        defer { pool.finish() }
        XCTAssertTrue(pool.summary.hasSuffix(", parameters in shared memory"), pool.summary)
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].hasPrefix("warning: gradients go through the socket: open \(taken): File exists"), lines[0])
        pool.enqueue(.parameters(ParametersPayload(version: 1, parameters: parameters.floats(inPlaceAt: 0, count: 130), state: [])))
        let shard = ShardTask(shardIndex: 0, sampleOffset: 0, count: 1, height: 2, width: 2, channels: 3, images: [UInt8](repeating: 9, count: 12), labels: [3])
        pool.enqueue(.task(TaskPayload(step: 1, parameterVersion: 1, epoch: 0, shards: [shard])))
        var results: [ComputedShard] = []
        let deadline = MonotonicClock.now() + 10
        while results.isEmpty && pool.failure == nil && MonotonicClock.now() < deadline {
            usleep(1000)
            results += pool.takeResults()
        }
        XCTAssertNil(pool.failure)
        XCTAssertEqual(results.count, 1)
        XCTAssertNil(results.first?.result.gradients.sharedOffset)
        XCTAssertFalse(WireCodec.encode(.result(results[0].result), runID: 9, step: 1, parameterVersion: 1)[0].bytes[7] & WireHeader.sharedMemoryFlag != 0)
    }

    // MARK: Gradient buffers

    /// An executor keeping its gradients in shared memory gives the bits of one on the heap, moves
    /// to another slot while a result holds one, and takes a heap buffer while all are held.
    func testSharedGradientBuffersGiveTheSameBitsAndAreNeverWrittenWhileHeld() throws {
        let (heap, _, _) = try makeTinyExecutor()
        let (shared, student, teacher) = try makeTinyExecutor()
        let count = student.layout.parameterCount, slot = SharedMemoryRegion.aligned(4 * count)
        let region = try SharedMemoryRegion(creating: folder.path + "/gradients", bytes: GradientBuffers.kept * slot)
        let executor = try ShardExecutor(
            studentSpec: tinyStudent, studentParameters: student, teacher: (tinyTeacher, teacher), inputShape: [6, 6, 2], classes: 3,
            objective: DistillationObjective(temperature: 3, alpha: 0.7), normalization: Normalization(mean: [0.5, 0.4], std: [0.25, 0.3]),
            seed: 11, sharedGradients: (region, (0..<GradientBuffers.kept).map { $0 * slot }))
        _ = shared
        var held: [ShardResult] = []
        for step in 0..<GradientBuffers.kept + 1 {
            let result = try executor.run(tinyTask(seed: UInt64(step)), step: step)
            let expected = try heap.run(tinyTask(seed: UInt64(step)), step: step)
            XCTAssertEqual(result.gradients.map(\.bitPattern), expected.gradients.map(\.bitPattern), "step \(step)")
            XCTAssertEqual(result.gradients.sharedOffset, step < GradientBuffers.kept ? step * slot : nil, "step \(step)")
            held.append(result)
        }
        for (step, result) in held.enumerated() {
            XCTAssertEqual(result.gradients.map(\.bitPattern), try heap.run(tinyTask(seed: UInt64(step)), step: step).gradients.map(\.bitPattern),
                           "held result \(step) unchanged")
        }
        held.removeAll()
        XCTAssertEqual(try executor.run(tinyTask(), step: 9).gradients.sharedOffset, 0, "back in the first slot once it is free")
    }
}
