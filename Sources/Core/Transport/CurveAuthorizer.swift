import Dispatch
import Foundation

/// Decides which CURVE public keys may connect to a coordinator: exactly those in a key
/// folder's `authorized/` (re-read on ``reload()`` or SIGHUP), minus those banned for the rest
/// of the run. The ZAP handler asks it once per connection; thread-safe.
public final class CurveAuthorizer: @unchecked Sendable {
    /// The answer for one key.
    public enum Decision: Equatable, Sendable {
        /// Admitted; `name` is the certificate file it was found in.
        case admitted(name: String)
        /// Not in the authorised folder.
        case unknown
        /// Authorised but banned for this run (``ban(_:)``).
        case banned
    }

    private let lock = NSLock()
    private var allowed: [CurvePublicKey: String]
    private var ephemeral: [CurvePublicKey: String] = [:]
    private var banned: Set<CurvePublicKey> = []
    private var hangup: DispatchSourceSignal?
    /// The folder the keys come from.
    public let keys: KeyDirectory

    /// Loads the authorised keys of `keys`.
    /// - Throws: ``CurveCertificateError`` for a malformed file, or
    ///   ``CurveCertificateError/noAuthorizedKeys(folder:)`` if there is none.
    public init(keys: KeyDirectory) throws {
        self.keys = keys
        allowed = try keys.authorizedKeys()
        guard !allowed.isEmpty else { throw CurveCertificateError.noAuthorizedKeys(folder: keys.authorizedFolder) }
    }

    /// Whether `key` may connect now.
    public func decide(_ key: CurvePublicKey) -> Decision {
        lock.lock(); defer { lock.unlock() }
        if banned.contains(key) { return .banned }
        return (allowed[key] ?? ephemeral[key]).map { .admitted(name: $0) } ?? .unknown
    }

    /// Also admits `key` (named `name` in logs) for the rest of the run, whatever the folder
    /// holds: for the in-memory keys of workers this process starts itself.
    public func admit(_ key: CurvePublicKey, name: String) {
        lock.lock(); defer { lock.unlock() }
        ephemeral[key] = name
    }

    /// Refuses `key` for the rest of the run, even after a reload. Connections already made
    /// stay open: disconnect them with ``TransportRouter/disconnect(_:)``.
    public func ban(_ key: CurvePublicKey) {
        lock.lock(); defer { lock.unlock() }
        banned.insert(key)
    }

    /// Number of keys currently authorised (banned ones included).
    public var authorizedCount: Int {
        lock.lock(); defer { lock.unlock() }
        return allowed.count
    }

    /// Re-reads `authorized/`. On error the previous set stays in force.
    /// - Returns: the number of keys now authorised.
    /// - Throws: ``CurveCertificateError`` naming the malformed file.
    @discardableResult
    public func reload() throws -> Int {
        let fresh = try keys.authorizedKeys()
        lock.lock(); defer { lock.unlock() }
        allowed = fresh
        return fresh.count
    }

    /// Re-reads `authorized/` whenever the process receives SIGHUP, reporting the outcome.
    /// Connections already admitted are not affected.
    public func reloadOnHangup(report: @escaping @Sendable (String) -> Void) {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { [weak self] in
            guard let self else { return }
            do {
                let count = try self.reload()
                report("SIGHUP: re-read \(self.keys.authorizedFolder): \(count) authorised keys")
            } catch {
                report("SIGHUP: keeping the previous authorised keys: \(error)")
            }
        }
        source.resume()
        lock.lock(); defer { lock.unlock() }
        hangup?.cancel()
        hangup = source
    }

    deinit { hangup?.cancel() }
}
