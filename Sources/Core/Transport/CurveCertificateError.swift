/// A CURVE certificate file (or key folder) that cannot be used, naming the file and, for
/// syntax errors, the line.
public enum CurveCertificateError: Error, Equatable, CustomStringConvertible {
    /// The file cannot be read (missing, a directory, no permission).
    case unreadable(file: String, reason: String)
    /// The file is larger than any certificate (64 KiB).
    case tooLarge(file: String, bytes: Int)
    /// A line is not ZPL (ZeroMQ RFC 4) as `zcert_save` writes it.
    case syntax(file: String, line: Int, detail: String)
    /// A required entry (`curve/public-key`, or `curve/secret-key` in a secret file) is absent.
    case missing(file: String, entry: String)
    /// An entry appears twice.
    case duplicate(file: String, line: Int, entry: String)
    /// A key value is not 40 characters of Z85.
    case invalidKey(file: String, line: Int, entry: String)
    /// The public key in a secret file is not the one its secret key belongs to.
    case keyMismatch(file: String)
    /// A file Distill was asked to write exists already.
    case exists(file: String)
    /// The folder of authorised keys holds no `.key` file.
    case noAuthorizedKeys(folder: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read the certificate: \(reason)"
        case let .tooLarge(file, bytes): return "\(file): \(bytes) bytes is too large for a certificate (at most 65536)"
        case let .syntax(file, line, detail): return "\(file):\(line): \(detail)"
        case let .missing(file, entry): return "\(file): no \(entry) entry (a CZMQ certificate has a curve section with public-key and, in the _secret file, secret-key)"
        case let .duplicate(file, line, entry): return "\(file):\(line): \(entry) appears twice"
        case let .invalidKey(file, line, entry): return "\(file):\(line): \(entry) must be 40 characters of Z85 (a 32-byte key)"
        case let .keyMismatch(file): return "\(file): public-key does not belong to secret-key"
        case let .exists(file): return "\(file) exists already; refusing to overwrite it (choose another --out folder or remove the old keys)"
        case let .noAuthorizedKeys(folder): return "\(folder) holds no .key files, so no worker could join; create them with distill-coordinator keygen --out KEYDIR --workers N"
        }
    }
}
