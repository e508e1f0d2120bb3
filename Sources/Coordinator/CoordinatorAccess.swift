import Core
import Foundation

/// Who may connect to `train`'s coordinator, from `--keys` / `--insecure`: the transport to
/// serve workers with, and what the workers of local mode need to connect to it.
struct CoordinatorAccess {
    /// The coordinator's transport.
    let transport: Transport
    /// Added to each local worker's command line.
    let localWorkerArguments: [String]
    /// Each local worker's extra environment (its in-memory keys under CURVE).
    let localWorkerEnvironment: [[String: String]]

    /// CURVE with the keys of folder `keys`, plain TCP with `insecure`, else no security
    /// (local mode's `ipc://` socket in a private folder). Under CURVE, `localWorkers` fresh
    /// key pairs are admitted for this run only and handed to the local workers through
    /// their environment.
    /// - Throws: ``CurveCertificateError`` for a missing or malformed key file.
    init(keys: String?, insecure: Bool, localWorkers: Int) throws {
        let report: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        guard let keys else {
            if insecure {
                report("warning: --insecure: plain TCP, anyone who reaches the port can join, read the run (teacher included) and send results")
            }
            transport = try Transport(security: .insecure, report: report)
            localWorkerArguments = insecure ? ["--insecure"] : []
            localWorkerEnvironment = []
            return
        }
        let folder = KeyDirectory(path: keys)
        let keyPair = try folder.coordinatorKeyPair()
        let authorizer = try CurveAuthorizer(keys: folder)
        authorizer.reloadOnHangup(report: report)
        let serverCertificate = CurveCertificate(publicKey: keyPair.publicKey).text(generated: "this run")
        localWorkerEnvironment = try (0..<localWorkers).map { i in
            let own = try CurveKeyPair.generate()
            authorizer.admit(own.publicKey, name: "local-\(i) (in-memory key)")
            return [WorkerKeyEnvironment.key: CurveCertificate(keyPair: own).text(generated: "this run"),
                    WorkerKeyEnvironment.serverKey: serverCertificate]
        }
        localWorkerArguments = []
        transport = try Transport(security: .curveServer(keyPair: keyPair, authorizer: authorizer), report: report)
        print("CURVE: coordinator key \(keyPair.publicKey.fingerprint); admitting the \(authorizer.authorizedCount) keys in "
            + "\(folder.authorizedFolder) (kill -HUP \(getpid()) re-reads it)")
    }
}
