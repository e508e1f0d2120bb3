import XCTest
@testable import Core

/// `status.json`: its fields, its table, and the errors for a missing or corrupt file.
final class RunStatusTests: XCTestCase {
    private let updated = Date(timeIntervalSince1970: 1_800_000_000)

    private var distributed: RunStatus {
        RunStatus(state: .running, step: 120, steps: 1000, epoch: 1, etaSeconds: 187, loss: 0.43215, trainAccuracy: 0.8711,
                  samplesPerSecond: 1234.56, learningRate: 0.001, evaluation: .init(split: "test", step: 100, accuracy: 0.8125),
                  distributed: true, rejectedResults: 1,
                  workers: [.init(name: "gpu-box-1", address: "10.0.0.7", shardsDone: 240, meanShardSeconds: 0.0123, lastHeardSecondsAgo: 0.4),
                            .init(name: "w\u{1B}[31m", address: "local", shardsDone: 0, meanShardSeconds: nil, lastHeardSecondsAgo: 12.3)],
                  updatedAt: updated)
    }

    func testTableOfADistributedRun() {
        XCTAssertEqual(distributed.table(now: updated.addingTimeInterval(1)), """
            state          running
            step           120/1000 (12.0%), epoch 2
            eta            3:07
            loss           0.4321
            train accuracy 87.11%
            samples/s      1234.6
            learning rate  0.001
            test accuracy  81.25% at step 100
            updated        1 s ago
            workers        2 connected, 1 results rejected

            worker     address   shards done  mean shard  last heard
            gpu-box-1  10.0.0.7          240     12.3 ms   0.4 s ago
            w?[31m     local               0           -  12.3 s ago

            """)
    }

    func testTableOfASingleProcessRunAndAStaleOne() {
        let status = RunStatus(state: .running, step: 0, steps: 10, epoch: 0, etaSeconds: nil, loss: nil, trainAccuracy: nil,
                               samplesPerSecond: nil, learningRate: nil, evaluation: nil, distributed: false, rejectedResults: 0,
                               workers: [], updatedAt: updated)
        XCTAssertEqual(status.table(now: updated.addingTimeInterval(30)), """
            state          running
            step           0/10 (0.0%), epoch 1
            eta            -
            loss           -
            train accuracy -
            samples/s      -
            learning rate  -
            updated        30 s ago (not rewritten since: the run may have stopped)
            workers        none (single-process run: shards are computed on this process's threads)

            """)
    }

    func testJSONHasSortedSnakeCaseKeysAndRoundTrips() throws {
        let text = String(decoding: try distributed.encoded(), as: UTF8.self)
        for key in ["\"eta_seconds\"", "\"samples_per_second\"", "\"shards_done\"", "\"mean_shard_seconds\"", "\"last_heard_seconds_ago\"",
                    "\"updated_at\" : \"2027-01-15T08:00:00Z\"", "\"state\" : \"running\""] {
            XCTAssertTrue(text.contains(key), key)
        }
        XCTAssertLessThan(text.range(of: "\"distributed\"")!.lowerBound, text.range(of: "\"epoch\"")!.lowerBound)
        let folder = NSTemporaryDirectory() + "/distill-status-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AtomicFile.write(try distributed.encoded(), to: folder + "/status.json")
        XCTAssertEqual(try RunStatus.read(folder + "/status.json"), distributed)
    }

    func testNonFiniteFiguresRoundTrip() throws {
        var status = distributed
        status.loss = .nan
        status.samplesPerSecond = .infinity
        let folder = NSTemporaryDirectory() + "/distill-status-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AtomicFile.write(try status.encoded(), to: folder + "/status.json")
        let read = try RunStatus.read(folder + "/status.json")
        XCTAssertTrue(read.loss?.isNaN ?? false)
        XCTAssertEqual(read.samplesPerSecond, .infinity)
    }

    func testMissingAndCorruptFilesAreTypedErrorsNamingTheFile() throws {
        let folder = NSTemporaryDirectory() + "/distill-status-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/status.json"
        XCTAssertThrowsError(try RunStatus.read(path)) { error in
            guard case let .unreadableStatus(file, detail)? = error as? MonitoringError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, path)
            XCTAssertTrue(detail.hasPrefix("no such file"), detail)
        }
        for corrupt in ["{\"state\": \"running\"", "{\"state\": \"exploded\"}", ""] {
            try AtomicFile.write(Array(corrupt.utf8), to: path)
            XCTAssertThrowsError(try RunStatus.read(path)) { error in
                guard case let .unreadableStatus(file, detail)? = error as? MonitoringError else { return XCTFail("\(error)") }
                XCTAssertEqual(file, path)
                XCTAssertTrue(detail.hasPrefix("not a run status"), detail)
                XCTAssertTrue("\(error)".contains(path))
            }
        }
    }
}
