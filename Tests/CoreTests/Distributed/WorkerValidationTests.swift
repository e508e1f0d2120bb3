import Foundation
import XCTest
@testable import Core

/// A spoofed coordinator (a raw ROUTER in this process) sends a real `distill-worker` process
/// values it must not use: the worker exits 1 with a typed error naming the value, instead of
/// reading out of bounds (release builds have no preconditions).
final class WorkerValidationTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    /// Welcomes a worker to a 2×2×3, 10-class run, then sends `parameters` (version 1) and a
    /// task with `labels` at `taskVersion`, and the same parameters again as each of `laterVersions`.
    /// With `sharing`, the worker is started with that shared-memory folder and, if
    /// `acceptsSharing`, the welcome accepts; `sharedParameters` names the parameters there at
    /// that offset of the folder's parameters region (130 floats, written at offset 0).
    private func spoof(_ label: String, parameters: [Float], labels: [Int32], taskVersion: UInt64 = 1,
                       laterVersions: [UInt64] = [], sharing: PrivateFolder? = nil, acceptsSharing: Bool = false,
                       sharedParameters: Int? = nil) throws -> String {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, kind: .router)
        try router.bind("tcp://127.0.0.1:0")
        let worker = try harness.start("distill-worker", ["--once", "--threads", "1", "--connect", try router.lastEndpoint, "--insecure", "--name", label, "--coordinator-timeout", "10"]
                                       + (sharing.map { ["--shared-memory", $0.path] } ?? []), label: label)
        let run = sampleRun(runID: 31, teacher: nil)
        func expect(_ kind: WireKind) throws -> Frame {
            let deadline = MonotonicClock.now() + 20
            while MonotonicClock.now() < deadline {
                if let frames = try router.receive(timeoutMilliseconds: 100), let decoded = try? WireCodec.decode(Array(frames.dropFirst())),
                   decoded.message.kind == kind { return frames[0] }
            }
            return try XCTUnwrap(nil, "no \(kind) from the worker: \(harness.output(label))")
        }
        let id = try expect(.join)
        let welcome = WireCodec.encode(.welcome(WelcomePayload(run: run)), runID: 31, step: 0, parameterVersion: 0)
        try router.send(frames: [id] + (acceptsSharing ? WireCodec.flagged(welcome, WireHeader.sharedMemoryFlag) : welcome))
        if acceptsSharing && sharing == nil {  // the worker ends at the welcome
            XCTAssertEqual(harness.wait(worker, timeout: 20), 1, harness.output(label))
            return harness.output(label)
        }
        _ = try expect(.ready)
        var values = FloatValues(parameters)
        if let sharing, let offset = sharedParameters {
            let region = try SharedMemoryRegion(opening: SharedMemoryRegion.parametersPath(folder: sharing.path), writable: true)
            _ = region.mutableFloats(offset: 0, count: parameters.count).update(fromContentsOf: parameters)
            values = region.floats(inPlaceAt: offset, count: parameters.count)
        }
        try router.send(frames: [id] + WireCodec.encode(.parameters(ParametersPayload(version: 1, parameters: values, state: [])),
                                                        runID: 31, step: 0, parameterVersion: 1))
        let shard = ShardTask(shardIndex: 0, sampleOffset: 0, count: labels.count, height: 2, width: 2, channels: 3,
                              images: [UInt8](repeating: 9, count: labels.count * 12), labels: labels)
        try router.send(frames: [id] + WireCodec.encode(.task(TaskPayload(step: 0, parameterVersion: taskVersion, epoch: 0, shards: [shard])),
                                                        runID: 31, step: 0, parameterVersion: taskVersion))
        for version in laterVersions {
            try router.send(frames: [id] + WireCodec.encode(.parameters(ParametersPayload(version: version, parameters: FloatValues(parameters), state: [])),
                                                            runID: 31, step: 0, parameterVersion: version))
        }
        XCTAssertEqual(harness.wait(worker, timeout: 20), 1, harness.output(label))
        return harness.output(label)
    }

    /// The sample run's student: flatten 12 → dense 10, 130 parameters.
    private let studentParameters = 130

    func testLabelOutOfRangeIsATypedError() throws {
        let output = try spoof("labels", parameters: [Float](repeating: 0.01, count: studentParameters), labels: [3, 99])
        XCTAssertTrue(output.contains("unusable message from the coordinator: shard 0 label 1 is 99, the run has classes 0..<10"), output)
    }

    func testParametersSkippingAWaitingTasksVersionAreATypedError() throws {
        // The task for version 2 came ahead of its parameters and waits; version 3 skips it.
        let output = try spoof("skipped", parameters: [Float](repeating: 0.01, count: studentParameters), labels: [3],
                               taskVersion: 2, laterVersions: [3])
        XCTAssertTrue(output.contains("unusable message from the coordinator: parameters of version 3 arrived before those of version 2, "
            + "which a waiting task needs"), output)
    }

    func testNonFiniteParametersAreATypedError() throws {
        var parameters = [Float](repeating: 0.01, count: studentParameters)
        parameters[5] = .nan
        let output = try spoof("nan", parameters: parameters, labels: [3])
        XCTAssertTrue(output.contains("unusable message from the coordinator: parameters of version 1 hold non-finite values"), output)
    }

    /// The welcome may accept only an offer the worker made.
    func testAcceptingAnOfferToShareMemoryNeverMadeIsATypedError() throws {
        let output = try spoof("unoffered", parameters: [Float](repeating: 0.01, count: studentParameters), labels: [3], acceptsSharing: true)
        XCTAssertTrue(output.contains("cannot use the run: unusable message from the coordinator: welcome shares memory, which this worker did not offer"),
                      output)
    }

    /// Parameters named outside the run's region, anywhere but where the students read them, in
    /// a frame to a worker that shares memory, or named at all when the welcome did not accept to
    /// share memory, are typed errors, not reads out of bounds or writes into a read-only mapping.
    func testParametersNamedOutsideSharedMemoryAreATypedError() throws {
        let folder = try PrivateFolder.sharedMemory()
        _ = try SharedMemoryRegion(creating: SharedMemoryRegion.parametersPath(folder: folder.path), bytes: 1024)
        let outside = try spoof("outside", parameters: [Float](repeating: 0.01, count: studentParameters), labels: [3],
                                sharing: folder, acceptsSharing: true, sharedParameters: 512)
        XCTAssertTrue(outside.contains("unusable message from the coordinator: shared memory: parameters.parameters: 520 bytes at offset 512 of "
            + folder.path + "/parameters lie outside its 1024 bytes"), outside)
        let elsewhere = try spoof("elsewhere", parameters: [Float](repeating: 0.01, count: studentParameters), labels: [3],
                                  sharing: folder, acceptsSharing: true, sharedParameters: 64)
        XCTAssertTrue(elsewhere.contains("unusable message from the coordinator: parameters of version 1 arrived at offset 64 of shared memory, "
            + "but this worker's students read them at offset 0 of the run's region"), elsewhere)
        let framed = try spoof("framed", parameters: [Float](repeating: 0.01, count: studentParameters), labels: [3],
                               sharing: folder, acceptsSharing: true)
        XCTAssertTrue(framed.contains("unusable message from the coordinator: parameters of version 1 arrived in a frame, "
            + "but this worker's students read them at offset 0 of the run's region"), framed)
        let declined = try spoof("declined", parameters: [Float](repeating: 0.01, count: studentParameters), labels: [3],
                                 sharing: folder, sharedParameters: 0)
        XCTAssertTrue(declined.contains("unusable message from the coordinator: shared memory: parameters.parameters names shared memory, "
            + "which this connection does not share"), declined)
    }
}
