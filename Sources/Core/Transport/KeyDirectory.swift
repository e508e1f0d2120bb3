import Foundation
import Glibc

/// The key folder `distill-coordinator keygen` writes and `train --keys` reads:
///
///     KEYDIR/coordinator.key            public certificate of the coordinator (give to workers)
///     KEYDIR/coordinator.key_secret     its secret certificate (mode 0600, stays on the coordinator)
///     KEYDIR/worker-i.key               public certificate of worker i
///     KEYDIR/worker-i.key_secret        its secret certificate (mode 0600, give to worker i only)
///     KEYDIR/authorized/worker-i.key    the public certificates the coordinator admits
///
/// All files are CZMQ certificates (``CurveCertificate``).
public struct KeyDirectory: Sendable {
    /// The folder.
    public let path: String

    /// The key folder at `path` (nothing is read yet).
    public init(path: String) { self.path = path }

    /// `KEYDIR/coordinator.key`.
    public var coordinatorPublicFile: String { path + "/coordinator.key" }
    /// `KEYDIR/coordinator.key_secret`.
    public var coordinatorSecretFile: String { path + "/coordinator.key_secret" }
    /// `KEYDIR/authorized`: one `.key` file per admitted worker.
    public var authorizedFolder: String { path + "/authorized" }

    /// The coordinator's key pair, from `coordinator.key_secret`.
    /// - Throws: ``CurveCertificateError`` naming the file.
    public func coordinatorKeyPair() throws -> CurveKeyPair {
        try CurveCertificate.load(coordinatorSecretFile).keyPair(file: coordinatorSecretFile)
    }

    /// Writes a coordinator key pair and `workers` worker key pairs (with their public
    /// certificates copied into `authorized/`). Creates the folder (mode 0700) if needed.
    /// Checks first that none of the files exists, so it writes all of them or none.
    /// - Returns: the paths written, in order.
    /// - Throws: ``CurveCertificateError/exists(file:)`` naming the first file that exists;
    ///   ``IOError`` if a folder or file cannot be created.
    @discardableResult
    public func generate(workers: Int) throws -> [String] {
        var plan: [(path: String, text: String, mode: mode_t)] = []
        let stamp = KeyDirectory.timestamp()
        func add(_ name: String, folder: String, copyTo copy: String?) throws {
            let pair = try CurveKeyPair.generate()
            let metadata = ["name": name]
            let publicText = CurveCertificate(publicKey: pair.publicKey, metadata: metadata).text(generated: stamp)
            plan.append(("\(folder)/\(name).key", publicText, 0o644))
            plan.append(("\(folder)/\(name).key_secret", CurveCertificate(keyPair: pair, metadata: metadata).text(generated: stamp), 0o600))
            if let copy { plan.append(("\(copy)/\(name).key", publicText, 0o644)) }
        }
        try add("coordinator", folder: path, copyTo: nil)
        for i in stride(from: 1, through: workers, by: 1) { try add("worker-\(i)", folder: path, copyTo: authorizedFolder) }
        if let existing = plan.first(where: { FileSystem.exists($0.path) }) { throw CurveCertificateError.exists(file: existing.path) }
        try KeyDirectory.makeFolder(path, mode: 0o700)
        try KeyDirectory.makeFolder(authorizedFolder, mode: 0o755)
        for file in plan {
            guard try AtomicFile.create(Array(file.text.utf8), at: file.path, mode: file.mode) else {
                throw CurveCertificateError.exists(file: file.path)
            }
        }
        return plan.map(\.path)
    }

    /// The public keys in `authorized/`: every `*.key` file, with its file name for logs.
    /// Other files (a stray `.key_secret`, editor backups) are ignored.
    /// - Throws: ``CurveCertificateError`` naming the first malformed file or an unreadable folder.
    public func authorizedKeys() throws -> [CurvePublicKey: String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: authorizedFolder) } catch {
            throw CurveCertificateError.unreadable(file: authorizedFolder, reason: "cannot list the folder of authorised keys")
        }
        var keys: [CurvePublicKey: String] = [:]
        for name in names.sorted() where name.hasSuffix(".key") {
            let certificate = try CurveCertificate.load(authorizedFolder + "/" + name)
            keys[certificate.publicKey] = name
        }
        return keys
    }

    /// Creates `folder` with `mode` unless it exists.
    private static func makeFolder(_ folder: String, mode: mode_t) throws {
        if FileSystem.isDirectory(folder) { return }
        guard mkdir(folder, mode) == 0 || errno == EEXIST else { throw IOError("mkdir", path: folder) }
    }

    /// The current UTC time as `YYYY-MM-DD HH:MM:SS UTC`, for the certificate header.
    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
