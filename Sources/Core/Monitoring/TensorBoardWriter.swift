import Foundation

/// Writes a run's scalars as a TensorBoard event file, `RUN/tensorboard/events.out.tfevents.<secs>.<host>`,
/// so `tensorboard --logdir runs` shows the curves while the run goes on.
///
/// The file is TFRecord-framed (``TFRecordWriter``) `Event` protos (TensorFlow's `event.proto`):
/// first one with `file_version = "brain.Event:2"`, then one per log point or evaluation with a
/// `Summary` of `simple_value` scalars. Field numbers: Event `wall_time` 1 (double), `step` 2
/// (int64), `file_version` 3 (string), `summary` 5; Summary `value` 1; Summary.Value `tag` 1,
/// `simple_value` 2 (float).
public final class TensorBoardWriter {
    private let records: TFRecordWriter
    /// The event file.
    public var path: String { records.path }

    /// The folder inside a run folder.
    public static let folderName = "tensorboard"

    /// Creates `directory` if needed and a new event file in it, named for `now` and this host.
    /// - Throws: ``MonitoringError/cannotWrite(path:detail:)``.
    public init(directory: String, now: Date = Date()) throws {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw MonitoringError.cannotWrite(path: directory, detail: "cannot create the folder: \(error.localizedDescription)")
        }
        let seconds = Int(now.timeIntervalSince1970)
        let host = ProcessInfo.processInfo.hostName.isEmpty ? "localhost" : ProcessInfo.processInfo.hostName
        records = try TFRecordWriter(path: "\(directory)/events.out.tfevents.\(seconds).\(host)")
        try records.append(TensorBoardWriter.event(wallTime: now.timeIntervalSince1970, step: 0, fileVersion: "brain.Event:2"))
        try records.flush()
    }

    /// Appends one event holding `scalars` (tag, value) at `step` and flushes it to the file.
    public func write(step: Int, scalars: [(tag: String, value: Double)], wallTime: Date = Date()) throws {
        try records.append(TensorBoardWriter.event(wallTime: wallTime.timeIntervalSince1970, step: step, scalars: scalars))
        try records.flush()
    }

    /// An `Event`'s `wall_time` and `step` (omitted when 0, as proto3 encoders do).
    private static func header(wallTime: Double, step: Int) -> ProtobufWriter {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        if step != 0 { event.varint(2, UInt64(bitPattern: Int64(step))) }
        return event
    }

    /// An `Event` with `file_version`.
    static func event(wallTime: Double, step: Int, fileVersion: String) -> [UInt8] {
        var event = header(wallTime: wallTime, step: step)
        event.string(3, fileVersion)
        return event.bytes
    }

    /// An `Event` with a `Summary` of `simple_value` scalars.
    static func event(wallTime: Double, step: Int, scalars: [(tag: String, value: Double)]) -> [UInt8] {
        var summary = ProtobufWriter()
        for (tag, value) in scalars {
            var entry = ProtobufWriter()
            entry.string(1, tag)
            entry.float(2, Float(value))
            summary.message(1, entry)
        }
        var event = header(wallTime: wallTime, step: step)
        event.message(5, summary)
        return event.bytes
    }
}
