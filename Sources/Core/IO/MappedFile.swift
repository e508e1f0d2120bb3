import Glibc

/// A file mapped read-write and shared into memory (`mmap(MAP_SHARED)`): stores into
/// ``bytes`` reach the file through the page cache, so they survive the process being killed;
/// ``sync()`` forces them to the disk. Unmapped when released.
public final class MappedFile {
    /// The file's path.
    public let path: String
    /// The whole file.
    public let bytes: UnsafeMutableRawBufferPointer

    /// Maps the existing file at `path` with its current size (at least one byte).
    /// - Throws: ``IOError`` naming the failing call (`open`, `fstat`, `mmap`).
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw IOError("open", path: path) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw IOError("fstat", path: path) }
        guard status.st_size > 0 else { throw IOError("mmap", path: path, code: EINVAL) }
        bytes = try MappedFile.map(fd, size: Int(status.st_size), path: path)
    }

    /// Creates (or replaces) the file at `path`: `prefix` first, written atomically, then
    /// extended with zeros to `size` bytes (sparse), and maps it.
    /// - Throws: ``IOError`` naming the failing call.
    public init(creating path: String, prefix: [UInt8], size: Int) throws {
        precondition(size >= prefix.count && size > 0, "a mapped file of \(size) bytes cannot hold a \(prefix.count)-byte prefix")
        self.path = path
        try AtomicFile.write(prefix, to: path)
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw IOError("open", path: path) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { throw IOError("ftruncate", path: path) }
        bytes = try MappedFile.map(fd, size: size, path: path)
    }

    deinit { munmap(bytes.baseAddress, bytes.count) }

    /// Writes every modified page to the disk (`msync(MS_SYNC)`).
    /// - Throws: ``IOError`` for `msync`.
    public func sync() throws {
        guard msync(bytes.baseAddress, bytes.count, MS_SYNC) == 0 else { throw IOError("msync", path: path) }
    }

    private static func map(_ fd: Int32, size: Int, path: String) throws -> UnsafeMutableRawBufferPointer {
        let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let address, address != MAP_FAILED else { throw IOError("mmap", path: path) }
        return UnsafeMutableRawBufferPointer(start: address, count: size)
    }
}
