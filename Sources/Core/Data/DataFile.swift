import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Reads data set files, inflating gzip transparently.
///
/// The only code in Distill that talks to zlib. A file is gzip when it starts with the gzip
/// magic `1f 8b`, whatever its name.
enum DataFile {
    /// The bytes of the file at `path`, decompressed when it is gzip. Memory grows with the bytes
    /// actually inflated, never with the size a gzip trailer claims.
    /// - Throws: `DataError.io` when the file cannot be opened or read, `DataError.gzip` for a
    ///   corrupt or cut-short gzip stream.
    static func contents(of path: String) throws -> [UInt8] {
        let stream = try DataFileStream(path: path)
        return try stream.read(upTo: .max)
    }

    /// The product of `dimensions` as a byte count for `file`, or `DataError.shapeMismatch`
    /// when it overflows (a corrupt header must not trap).
    static func product(_ dimensions: [Int], file: String) throws -> Int {
        try dimensions.reduce(1) { total, d in
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow else { throw DataError.shapeMismatch(file: file, detail: "dimensions \(dimensions) overflow") }
            return p
        }
    }
}

/// A data set file read front to back, inflated on the fly when it is gzip, so that a reader
/// takes its header first and then at most the payload the header announces.
///
/// Memory grows with the bytes actually produced (in chunks, capped by what was asked for):
/// an 18-byte gzip file whose header claims 4 GiB costs kilobytes, and a decompression bomb
/// is inflated no further than the reader's limit plus one chunk.
final class DataFileStream {
    /// The file, for errors.
    let path: String
    /// Bytes handed out so far (decompressed bytes for gzip).
    private(set) var offset = 0
    private let raw: [UInt8]
    private let gzip: Bool
    /// Next unread byte of `raw`: handed out (plain files) or not yet inflated (gzip).
    private var rawPosition = 0
    private var stream = z_stream()
    private var streamEnded = false
    /// Bytes inflated ahead of what was handed out (at most one chunk).
    private var pending: [UInt8] = []

    /// Largest step by which an output buffer grows.
    static let chunk = 1 << 20

    /// Opens `path` (read whole, as ``AtomicFile`` reads every file; the compressed size is the file's).
    /// - Throws: `DataError.io`, `DataError.gzip` when zlib cannot start.
    init(path: String) throws {
        self.path = path
        do { raw = try AtomicFile.read(path) } catch let error as IOError {
            throw DataError.io(file: path, message: "cannot \(error.operation): \(error.reason)")
        }
        gzip = raw.count >= 2 && raw[0] == 0x1f && raw[1] == 0x8b
        guard gzip else { return }
        let windowBits = 16 + MAX_WBITS  // 16 + : expect a gzip wrapper
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.gzip(file: path, offset: 0, message: "inflateInit2 failed")
        }
    }

    deinit { if gzip { inflateEnd(&stream) } }

    /// The next `count` bytes, or fewer when the file ends first (the caller reports the
    /// truncation in its own terms).
    /// - Throws: `DataError.gzip` for a corrupt or cut-short gzip stream.
    func read(upTo count: Int) throws -> [UInt8] {
        guard gzip else {
            let n = min(count, raw.count - rawPosition)
            defer { rawPosition += n; offset += n }
            return Array(raw[rawPosition..<(rawPosition + n)])
        }
        var output: [UInt8] = []
        while output.count < count {
            if pending.isEmpty {
                pending = try inflateChunk(max: min(count - output.count, DataFileStream.chunk))
                if pending.isEmpty { break }
            }
            let n = min(count - output.count, pending.count)
            output += pending[0..<n]
            pending.removeFirst(n)
        }
        offset += output.count
        return output
    }

    /// Nil when every byte has been read, else how many are left, as text for an error:
    /// "2 bytes", or "more than 1048576 bytes" once a whole chunk is left (nothing more is inflated).
    /// - Throws: `DataError.gzip` for a corrupt or cut-short gzip stream.
    func remainder() throws -> String? {
        let extra = try read(upTo: DataFileStream.chunk).count
        if extra == 0 { return nil }
        return extra < DataFileStream.chunk ? "\(extra) bytes" : "more than \(extra) bytes"
    }

    /// Inflates up to `max` more bytes (fewer only at the end of the data); concatenated gzip
    /// members are read as one stream.
    private func inflateChunk(max: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max)
        var produced = 0
        try raw.withUnsafeBufferPointer { input in
            while produced < max && !streamEnded {
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + rawPosition)
                stream.avail_in = uInt(input.count - rawPosition)
                let rc = out.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress! + produced
                    stream.avail_out = uInt(out.count - produced)
                    let rc = inflate(&stream, Z_NO_FLUSH)
                    produced = out.count - Int(stream.avail_out)
                    return rc
                }
                rawPosition = input.count - Int(stream.avail_in)
                let consumed = rawPosition
                switch rc {
                case Z_STREAM_END where stream.avail_in == 0:
                    streamEnded = true
                case Z_STREAM_END:
                    guard inflateReset(&stream) == Z_OK else {
                        throw DataError.gzip(file: path, offset: consumed, message: "inflateReset failed")
                    }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DataError.gzip(file: path, offset: consumed, message: "stream ends before its trailer")
                case Z_BUF_ERROR:
                    continue
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                    throw DataError.gzip(file: path, offset: consumed, message: reason)
                }
            }
        }
        out.removeLast(max - produced)
        return out
    }
}
