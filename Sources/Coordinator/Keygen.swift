import ArgumentParser
import Core
import Foundation

/// `distill-coordinator keygen`: the CURVE key folder for `train --keys`.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create CURVE keys for the coordinator and its workers (CZMQ certificate files).",
        discussion: "Writes KEYDIR/coordinator.key and .key_secret, KEYDIR/worker-i.key and .key_secret for i = 1…N, "
            + "and a copy of each worker's public key in KEYDIR/authorized/. Secret files are created with mode 0600. "
            + "Existing files are never overwritten. See docs/SECURITY.md."
            + """


            Example:
              distill-coordinator keygen --out keys --workers 4
            """)

    @Option(help: ArgumentHelp("Folder for the keys (created with mode 0700 if missing).", valueName: "keydir"))
    var out: String

    @Option(help: "Number of worker key pairs to create.")
    var workers = 1

    func validate() throws {
        if out.isEmpty { throw ValidationError("--out needs a folder, e.g. --out keys") }
        if workers < 0 || workers > 10_000 { throw ValidationError("--workers must be between 0 and 10000") }
    }

    func run() throws {
        try reportingErrors {
            let folder = KeyDirectory(path: out)
            for path in try folder.generate(workers: workers) { print("wrote \(path)") }
            print("""
                next: keep \(folder.coordinatorSecretFile) on the coordinator and run
                    distill-coordinator train --bind tcp://0.0.0.0:5555 --keys \(out) ...
                give worker i its \(out)/worker-i.key_secret and \(folder.coordinatorPublicFile), and run
                    distill-worker --connect tcp://COORDINATOR:5555 --key worker-i.key_secret --server-key coordinator.key
                """)
        }
    }
}
