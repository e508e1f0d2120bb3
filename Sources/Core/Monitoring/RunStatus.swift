import Foundation

/// `RUN/status.json`: where a run stands, rewritten atomically every 2 s while it runs and at
/// its start and end (see ``StatusFileWriter``); `distill-coordinator status RUN` prints it.
/// Keys are snake_case (`eta_seconds`, `samples_per_second`, `workers[].shards_done`); a
/// non-finite figure is written as the string `"nan"`, `"inf"` or `"-inf"`.
public struct RunStatus: Codable, Sendable, Equatable {
    /// Running, finished, stopped, diverged or failed.
    public var state: RunState
    /// Global steps done, the run's total and the current epoch (0-based).
    public var step: Int
    public var steps: Int
    public var epoch: Int
    /// Seconds to the last step at the current pace; nil before the first step and at the end.
    public var etaSeconds: Double?
    /// Mean loss and train accuracy over the current epoch so far.
    public var loss: Double?
    public var trainAccuracy: Double?
    public var samplesPerSecond: Double?
    public var learningRate: Double?
    /// The last evaluation: which split, its accuracy and the step it was taken at.
    public var evaluation: Evaluation?
    /// Whether shards are computed by workers (false: threads of this process, `workers` empty).
    public var distributed: Bool
    /// Results rejected from workers so far (0 in a single-process run).
    public var rejectedResults: Int
    /// The connected workers, in join order (always empty in a single-process run).
    public var workers: [Worker]
    /// When this status was written (ISO 8601, UTC).
    public var updatedAt: Date

    /// An evaluation as the status reports it.
    public struct Evaluation: Codable, Sendable, Equatable {
        public var split: String
        public var step: Int
        public var accuracy: Double
        public init(split: String, step: Int, accuracy: Double) {
            self.split = split
            self.step = step
            self.accuracy = accuracy
        }
    }

    /// One connected worker.
    public struct Worker: Codable, Sendable, Equatable {
        public var name: String
        /// IP address (TCP) or "local" (ipc://).
        public var address: String
        /// Results accepted from it.
        public var shardsDone: Int
        /// Mean seconds from sending a shard to its accepted answer (nil before the first).
        public var meanShardSeconds: Double?
        /// Seconds since its last message, when the status was written.
        public var lastHeardSecondsAgo: Double

        public init(name: String, address: String, shardsDone: Int, meanShardSeconds: Double?, lastHeardSecondsAgo: Double) {
            self.name = name
            self.address = address
            self.shardsDone = shardsDone
            self.meanShardSeconds = meanShardSeconds
            self.lastHeardSecondsAgo = lastHeardSecondsAgo
        }
    }

    public init(state: RunState, step: Int, steps: Int, epoch: Int, etaSeconds: Double?, loss: Double?, trainAccuracy: Double?,
                samplesPerSecond: Double?, learningRate: Double?, evaluation: Evaluation?, distributed: Bool, rejectedResults: Int,
                workers: [Worker], updatedAt: Date) {
        self.state = state
        self.step = step
        self.steps = steps
        self.epoch = epoch
        self.etaSeconds = etaSeconds
        self.loss = loss
        self.trainAccuracy = trainAccuracy
        self.samplesPerSecond = samplesPerSecond
        self.learningRate = learningRate
        self.evaluation = evaluation
        self.distributed = distributed
        self.rejectedResults = rejectedResults
        self.workers = workers
        self.updatedAt = updatedAt
    }

    /// The file name inside a run folder.
    public static let fileName = "status.json"

    /// The JSON text (sorted keys, snake_case, ISO 8601 time), ending in a newline.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try encoder.encode(self)) + [10]
    }

    /// Reads `path`.
    /// - Throws: ``MonitoringError/unreadableStatus(path:detail:)`` when it is missing or not a status.
    public static func read(_ path: String) throws -> RunStatus {
        guard FileSystem.exists(path) else {
            throw MonitoringError.unreadableStatus(path: path, detail: "no such file (is this a run folder, and has the run started?)")
        }
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(path) } catch { throw MonitoringError.unreadableStatus(path: path, detail: "\(error)") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try decoder.decode(RunStatus.self, from: Data(bytes)) } catch {
            throw MonitoringError.unreadableStatus(path: path, detail: "not a run status: \(error)")
        }
    }
}
