import Foundation
import Glibc

/// A fresh folder only this user can enter (mode 0700, made by `mkdtemp`) holding the
/// `ipc://` socket of a local-mode run, so no other user can connect to it. The folder and
/// the socket file are removed when this object goes away.
public final class PrivateIPCFolder {
    /// The folder.
    public let path: String

    /// Creates the folder under the system's temporary directory.
    /// - Throws: ``IOError`` if it cannot be created.
    public init() throws {
        var template = Array((NSTemporaryDirectory() + "/distill-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw IOError("mkdtemp", path: String(cString: template)) }
        path = String(cString: made)
    }

    /// The `ipc://` endpoint of a socket named `name` in the folder.
    public func endpoint(_ name: String = "coordinator.ipc") -> String { "ipc://\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
