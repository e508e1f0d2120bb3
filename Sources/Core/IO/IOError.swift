import Glibc

/// A failed file-system call, naming the call, the path and the system's error text.
public struct IOError: Error, Equatable, CustomStringConvertible {
    /// The C call that failed, e.g. `"open"`, `"fsync"`, `"rename"`.
    public let operation: String
    /// The path it was applied to.
    public let path: String
    /// The `errno` value.
    public let code: Int32
    /// `strerror(code)`.
    public let reason: String

    /// An error for `errno` as it stands after a failed call.
    init(_ operation: String, path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
        self.reason = String(cString: strerror(code))
    }

    public var description: String { "\(operation) \(path): \(reason)" }
}
