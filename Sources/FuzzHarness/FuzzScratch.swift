import Foundation

/// Files the path-based readers read fuzz inputs from: one folder per process, in `/dev/shm`
/// when it exists (no disk writes at fuzzing speed), removed by ``remove()``.
public final class FuzzScratch {
    /// The folder.
    public let directory: String

    /// Creates a fresh folder named after the process id and `label`.
    public init(label: String) {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        directory = "\(base)/distill-fuzz-\(label)-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` in the folder and returns its path.
    public func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = directory + "/" + name
        let written = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        precondition(written, "cannot write fuzz scratch file \(path)")
        return path
    }

    /// Removes the folder and its files.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
