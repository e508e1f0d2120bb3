import Foundation
import Glibc

/// A fresh folder only this user can enter (mode 0700, made by `mkdtemp`), removed with all
/// it holds when this object goes away. Local mode keeps its `ipc://` socket in one, so no
/// other user can connect to it, and its shared memory in another under `/dev/shm`
/// (``sharedMemory()``), so no other user can map it.
public final class PrivateFolder {
    /// The folder.
    public let path: String

    /// Creates `base/prefix-XXXXXX` (the system's temporary directory by default).
    /// - Throws: ``IOError`` if it cannot be created.
    public init(under base: String = NSTemporaryDirectory(), prefix: String = "distill") throws {
        var template = Array((base + "/\(prefix)-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw IOError("mkdtemp", path: String(cString: template)) }
        path = String(cString: made)
    }

    /// The `ipc://` endpoint of a socket named `name` in the folder.
    public func endpoint(_ name: String = "coordinator.ipc") -> String { "ipc://\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Where shared-memory folders are made (a tmpfs on Linux).
    public static let sharedMemoryRoot = "/dev/shm"

    /// A folder for this run's shared memory, `/dev/shm/distill-shm-PID-XXXXXX`, made after
    /// removing this user's folders whose process no longer runs (a coordinator killed before
    /// it could remove its own), so memory a killed run held is given back by the next.
    /// - Throws: ``IOError`` if `/dev/shm` is missing or the folder cannot be made.
    public static func sharedMemory() throws -> PrivateFolder {
        let prefix = "distill-shm-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: sharedMemoryRoot)) ?? [] where entry.hasPrefix(prefix) {
            let fields = entry.dropFirst(prefix.count).split(separator: "-")
            guard fields.count == 2, let pid = Int32(fields[0]), pid > 0, kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = sharedMemoryRoot + "/" + entry
            var status = stat()
            guard lstat(path, &status) == 0, status.st_uid == getuid(), status.st_mode & S_IFMT == S_IFDIR else { continue }
            try? FileManager.default.removeItem(atPath: path)
        }
        return try PrivateFolder(under: sharedMemoryRoot, prefix: prefix + String(getpid()))
    }
}
