import Glibc

/// A file in a local-mode run's shared-memory folder (``PrivateFolder`` under `/dev/shm`),
/// mapped into this process: where a local coordinator and its own workers hand each other
/// parameters and gradients without copying them through a socket (docs/PROTOCOL.md,
/// "Shared memory"). The coordinator writes the parameters region and reads each worker's
/// gradients region; a worker reads the first and writes its own.
///
/// Creating one reserves every page at once (`posix_fallocate`), so a full `/dev/shm` is an
/// error at creation, never a `SIGBUS` at the first write. Opening one checks that it is a
/// regular file of this user, at least as large as the caller needs. The mapping lasts as
/// long as this object and the frames read from it.
public final class SharedMemoryRegion: @unchecked Sendable {
    /// The file.
    public let path: String
    /// Bytes mapped (the file's size when mapped).
    public let byteCount: Int
    /// Whether this process may write it.
    public let writable: Bool
    /// Start of the mapping.
    let base: UnsafeMutableRawPointer

    /// Alignment of every array placed in a region (a cache line, so no two arrays share one).
    public static let alignment = 64

    /// `bytes` rounded up to ``alignment``.
    public static func aligned(_ bytes: Int) -> Int { (bytes + alignment - 1) / alignment * alignment }

    /// Creates `path` (which must not exist yet) with mode 0600, reserves `bytes` bytes of
    /// zeros, and maps it for reading and writing.
    /// - Throws: ``IOError`` naming the failing call (`open`, `posix_fallocate`, `mmap`).
    public init(creating path: String, bytes: Int) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IOError("open", path: path) }
        defer { close(fd) }
        let size = max(bytes, 1)
        let reserved = posix_fallocate(fd, 0, off_t(size))
        guard reserved == 0 else {
            unlink(path)
            throw IOError("posix_fallocate", path: path, code: reserved)
        }
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            let code = errno
            unlink(path)
            throw IOError("mmap", path: path, code: code)
        }
        self.path = path
        byteCount = size
        writable = true
        base = mapped
    }

    /// Maps the existing file `path`, read-only unless `writable`.
    /// - Throws: ``IOError`` when it cannot be opened or mapped, ``SharedMemoryError`` when it is
    ///   not a regular file of this user or is smaller than `minimumBytes`.
    public init(opening path: String, minimumBytes: Int = 1, writable: Bool = false) throws {
        let fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw IOError("open", path: path) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw IOError("fstat", path: path) }
        guard status.st_mode & S_IFMT == S_IFREG, status.st_uid == getuid() else {
            throw SharedMemoryError.notOwnRegularFile(path: path)
        }
        let size = Int(status.st_size)
        guard size >= max(minimumBytes, 1) else { throw SharedMemoryError.tooSmall(path: path, bytes: size, needed: minimumBytes) }
        guard let mapped = mmap(nil, size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw IOError("mmap", path: path)
        }
        self.path = path
        byteCount = size
        self.writable = writable
        base = mapped
    }

    deinit { munmap(base, byteCount) }

    /// Whether `name` can name a file in a shared-memory folder: 1 to 200 letters, digits, `.`,
    /// `_` or `-`, not starting with `.` (a local worker's routing id is `local-0-PID-0`).
    public static func usableName(_ name: String) -> Bool {
        (1...200).contains(name.utf8.count) && !name.hasPrefix(".")
            && name.utf8.allSatisfy { $0 < 128 && (isalnum(Int32($0)) != 0 || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")) }
    }

    /// The gradients region of the worker session with routing id `worker` in shared-memory folder `folder`.
    public static func gradientsPath(folder: String, worker: String) -> String { folder + "/gradients-" + worker }

    /// The run's parameters region in shared-memory folder `folder`.
    public static func parametersPath(folder: String) -> String { folder + "/parameters" }

    /// Checks that `bytes` bytes at `offset` lie inside the region, at an ``alignment`` boundary.
    /// - Throws: ``SharedMemoryError/outOfRange(path:offset:bytes:size:)``.
    func check(offset: UInt64, bytes: Int) throws {
        guard offset % UInt64(SharedMemoryRegion.alignment) == 0, offset <= UInt64(byteCount),
              UInt64(bytes) <= UInt64(byteCount) - offset else {
            throw SharedMemoryError.outOfRange(path: path, offset: offset, bytes: bytes, size: byteCount)
        }
    }

    /// The `count` floats at `offset`, read in place (the frame keeps the mapping alive).
    /// - Throws: as ``check(offset:bytes:)``.
    func floats(offset: UInt64, count: Int) throws -> FloatValues {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow else { throw SharedMemoryError.outOfRange(path: path, offset: offset, bytes: .max, size: byteCount) }
        try check(offset: offset, bytes: bytes)
        return floats(inPlaceAt: Int(offset), count: count)
    }

    /// The `count` floats at `offset`, which this process placed inside the region.
    func floats(inPlaceAt offset: Int, count: Int) -> FloatValues {
        FloatValues(frame: Frame(storage: SharedMemorySlice(region: self, offset: offset, count: count * MemoryLayout<Float>.stride)))!
    }

    /// The writable floats `count` long at `offset` (inside the region, which is writable).
    func mutableFloats(offset: Int, count: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: (base + offset).assumingMemoryBound(to: Float.self), count: count)
    }
}

/// Bytes of a ``SharedMemoryRegion`` as frame storage: keeps the mapping alive, and tells the
/// encoder where they lie so a message can name them instead of carrying them.
final class SharedMemorySlice: FrameStorage, @unchecked Sendable {
    let region: SharedMemoryRegion
    let offset: Int

    init(region: SharedMemoryRegion, offset: Int, count: Int) {
        self.region = region
        self.offset = offset
        super.init(base: UnsafeRawPointer(region.base + offset), count: count)
    }

    override var sharedOffset: Int? { offset }
}

/// A shared-memory file that cannot serve, or a reference into one that is wrong.
public enum SharedMemoryError: Error, Equatable, CustomStringConvertible {
    /// The path is not a regular file owned by this user (a link, a device, another user's file).
    case notOwnRegularFile(path: String)
    /// The file holds `bytes` bytes where `needed` are required.
    case tooSmall(path: String, bytes: Int, needed: Int)
    /// A message names `bytes` bytes at `offset`, which do not lie inside the file's `size`
    /// bytes at an aligned offset.
    case outOfRange(path: String, offset: UInt64, bytes: Int, size: Int)

    public var description: String {
        switch self {
        case let .notOwnRegularFile(path): return "\(path) is not a regular file of this user"
        case let .tooSmall(path, bytes, needed): return "\(path) holds \(bytes) bytes, \(needed) are needed"
        case let .outOfRange(path, offset, bytes, size):
            return "\(bytes) bytes at offset \(offset) of \(path) lie outside its \(size) bytes or off a \(SharedMemoryRegion.alignment)-byte boundary"
        }
    }
}
