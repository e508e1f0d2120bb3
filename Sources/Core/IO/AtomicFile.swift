import Glibc

/// Whole-file reads and crash-safe whole-file writes through the C library.
public enum AtomicFile {
    /// Replaces the file at `path` with `bytes` atomically: writes `path.tmp-<pid>` in the same
    /// directory, fsyncs it, renames it over `path` and fsyncs the directory, so a crash leaves
    /// either the old or the new file. On failure the temporary file is removed.
    /// Throws ``IOError`` naming the failing call, the path and the errno text.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError("open", path: temporary) }
        do {
            try bytes.withUnsafeBytes { try writeAll($0, to: fd, path: temporary) }
            guard fsync(fd) == 0 else { throw IOError("fsync", path: temporary) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard close(fd) == 0 else {
            let failure = IOError("close", path: temporary)
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let failure = IOError("rename", path: path)
            unlink(temporary)
            throw failure
        }
        try syncDirectory(containing: path)
    }

    /// Creates a new file at `path` holding `bytes` with permissions `mode`, never replacing
    /// one: writes `path.tmp-<pid>` (created with `mode`, so it is never more readable than
    /// that, even briefly), fsyncs it, hard-links it to `path` (which fails if `path` exists)
    /// and removes the temporary name. A crash leaves either no file or the whole file.
    /// - Returns: `false` if `path` exists (nothing was written).
    /// - Throws: ``IOError`` naming the failing call and path.
    public static func create(_ bytes: [UInt8], at path: String, mode: mode_t) throws -> Bool {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw IOError("open", path: temporary) }
        defer { unlink(temporary) }
        do {
            try bytes.withUnsafeBytes { try writeAll($0, to: fd, path: temporary) }
            guard fsync(fd) == 0 else { throw IOError("fsync", path: temporary) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw IOError("close", path: temporary) }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { return false }
            throw IOError("link", path: path)
        }
        try syncDirectory(containing: path)
        return true
    }

    /// Renames `source` to `destination` (replacing it atomically if it exists) and fsyncs the
    /// directory so the rename survives a crash; both paths must be in the same directory.
    /// Throws ``IOError`` naming the failing call and path.
    public static func move(_ source: String, to destination: String) throws {
        guard rename(source, destination) == 0 else { throw IOError("rename", path: "\(source) -> \(destination)") }
        try syncDirectory(containing: destination)
    }

    /// The whole contents of the file at `path`. Throws ``IOError`` naming the failing call and path.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError("open", path: path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw IOError("fstat", path: path) }
        var result: [UInt8] = []
        result.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError("read", path: path)
            }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes every byte, retrying partial writes and EINTR.
    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError("write", path: path)
            }
            offset += n
        }
    }

    /// Makes the rename durable by fsyncing the directory that holds `path`.
    private static func syncDirectory(containing path: String) throws {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError("open", path: directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw IOError("fsync", path: directory) }
    }
}
