import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Reads whole data set files into memory, inflating gzip transparently.
///
/// The only code in Distill that talks to zlib. A file is gzip when it starts with the gzip
/// magic `1f 8b`, whatever its name.
enum DataFile {
    /// The bytes of the file at `path`, decompressed when it is gzip.
    /// - Throws: `DataError.io` when the file cannot be opened or read, `DataError.gzip` for a
    ///   corrupt or cut-short gzip stream.
    static func contents(of path: String) throws -> [UInt8] {
        let raw = try readRaw(path)
        guard raw.count >= 2, raw[0] == 0x1f, raw[1] == 0x8b else { return raw }
        return try gunzip(raw, file: path)
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

    /// The undecoded bytes of the file at `path` (read as ``AtomicFile`` reads every file).
    private static func readRaw(_ path: String) throws -> [UInt8] {
        do { return try AtomicFile.read(path) } catch let error as IOError {
            throw DataError.io(file: path, message: "cannot \(error.operation): \(error.reason)")
        }
    }

    /// Inflates one or more concatenated gzip members.
    private static func gunzip(_ compressed: [UInt8], file: String) throws -> [UInt8] {
        // The trailer's ISIZE (uncompressed size mod 2^32, little-endian) sizes the first buffer,
        // unless it claims more than deflate's largest ratio (1032:1) could produce: then it lies.
        let n = compressed.count
        let isize = n >= 18
            ? Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8 | Int(compressed[n - 2]) << 16 | Int(compressed[n - 1]) << 24
            : 0
        let hint = min(isize, 1032 * n)
        var output = [UInt8](repeating: 0, count: max(hint, 4 * n, 1024))
        var produced = 0
        var stream = z_stream()
        let windowBits = 16 + MAX_WBITS  // 16 + : expect a gzip wrapper
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.gzip(file: file, offset: 0, message: "inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        try compressed.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
            stream.avail_in = uInt(input.count)
            while true {
                if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
                let rc = output.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress! + produced
                    stream.avail_out = uInt(out.count - produced)
                    let rc = inflate(&stream, Z_NO_FLUSH)
                    produced = out.count - Int(stream.avail_out)
                    return rc
                }
                let consumed = input.count - Int(stream.avail_in)
                switch rc {
                case Z_STREAM_END where stream.avail_in == 0:
                    return
                case Z_STREAM_END:
                    guard inflateReset(&stream) == Z_OK else {
                        throw DataError.gzip(file: file, offset: consumed, message: "inflateReset failed")
                    }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DataError.gzip(file: file, offset: consumed, message: "stream ends before its trailer")
                case Z_BUF_ERROR:
                    continue
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                    throw DataError.gzip(file: file, offset: consumed, message: reason)
                }
            }
        }
        output.removeLast(output.count - produced)
        return output
    }
}
