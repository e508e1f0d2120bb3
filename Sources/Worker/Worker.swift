import ArgumentParser
import Core
import Foundation

/// `distill-worker`: computes shards for a coordinator. It needs the address (and its keys):
/// the run, the models and the frozen teacher arrive in the welcome message. It is a service:
/// it serves run after run, reconnecting with back-off, until a signal stops it.
@main
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill-worker",
        abstract: "Compute teacher inference and student gradients for a Distill coordinator.",
        discussion: """
            Serves one run after another: when the coordinator is not there yet, goes away or ends its run, the worker \
            reconnects with back-off (0.5 s doubling to 30 s) and joins the next or the resumed run; SIGINT/SIGTERM stop it (exit 130). \
            With --once it serves one run: exits 0 when the coordinator ends the run, 1 on any error (refused, coordinator lost, \
            bad message), 130 on SIGINT/SIGTERM.

            Examples:
              distill-worker --connect tcp://coordinator:5555 \\
                  --key keys/worker-1.key_secret --server-key keys/coordinator.key
              distill-worker --connect tcp://127.0.0.1:5555 --insecure --threads 2 --once
            """,
        version: DistillVersion.current)

    @Option(help: "Coordinator address, e.g. tcp://coordinator:5555 or ipc:///tmp/distill.ipc.")
    var connect: String

    @Option(help: "Name shown in the coordinator's logs (default: host name and process id).")
    var name: String?

    @Option(help: "Give up after this many seconds without a message from the coordinator.")
    var coordinatorTimeout: Double = 60

    @Option(help: "Refuse to join unless the run's student is this model (preset or spec file).")
    var student: String?

    @Option(help: "With --student: the teacher the run must use (preset or spec file; omit for plain training).")
    var teacher: String?

    @Option(help: ArgumentHelp("This worker's secret certificate from distill-coordinator keygen (or set DISTILL_KEY).", valueName: "file.key_secret"))
    var key: String?

    @Option(help: ArgumentHelp("The coordinator's public certificate, KEYDIR/coordinator.key (or set DISTILL_SERVER_KEY).", valueName: "file.key"))
    var serverKey: String?

    @Flag(help: "Connect over plain TCP: no encryption, no authentication. Only on a network you trust.")
    var insecure = false

    @Option(help: "Shards computed at once, each on one thread with one BLAS thread (results do not depend on it); default: the host's cores, or the count of --cpus.")
    var threads: Int?

    @Option(help: ArgumentHelp("Run only on these CPUs, a list such as 0,2 or 4-7 (as taskset -c takes): every thread of this worker, and --threads defaults to their count. Local mode sets it when the coordinator has at least as many CPUs as workers.",
                               valueName: "list"))
    var cpus: String?

    @Option(help: ArgumentHelp("Local mode (set by distill-coordinator train --local-workers): the coordinator's shared-memory folder, where this worker reads the parameters and leaves its gradients instead of sending them through the socket.",
                               valueName: "dir"))
    var sharedMemory: String?

    @Flag(help: "Serve one run and exit (0 when the coordinator ends it, 1 on an error), instead of serving run after run.")
    var once = false

    private var keySource: String? { key ?? Worker.environment(WorkerKeyEnvironment.key) }
    private var serverKeySource: String? { serverKey ?? Worker.environment(WorkerKeyEnvironment.serverKey) }

    func validate() throws {
        if connect.isEmpty { throw ValidationError("--connect needs an address, e.g. --connect tcp://127.0.0.1:5555") }
        if insecure && (keySource != nil || serverKeySource != nil) {
            throw ValidationError("--insecure cannot be combined with --key/--server-key (or \(WorkerKeyEnvironment.key)/\(WorkerKeyEnvironment.serverKey)); drop one or the other")
        }
        if (keySource == nil) != (serverKeySource == nil) {
            throw ValidationError("--key and --server-key go together: --key worker-1.key_secret --server-key coordinator.key")
        }
        if connect.hasPrefix("tcp://") && keySource == nil && !insecure {
            throw ValidationError("\(connect) is TCP, which needs CURVE keys: add --key KEYDIR/worker-1.key_secret --server-key KEYDIR/coordinator.key "
                + "(made by distill-coordinator keygen --out KEYDIR --workers N; or set \(WorkerKeyEnvironment.key) and \(WorkerKeyEnvironment.serverKey)), "
                + "or --insecure on both sides for an unencrypted, unauthenticated connection")
        }
        if coordinatorTimeout <= 0 { throw ValidationError("--coordinator-timeout must be positive") }
        if teacher != nil && student == nil { throw ValidationError("--teacher needs --student too") }
        if sharedMemory != nil, let name, !SharedMemoryRegion.usableName(name) {
            throw ValidationError("--shared-memory needs a --name of letters, digits, '.', '_' and '-' (not starting with '.'), e.g. --name local-0")
        }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1...1024, e.g. --threads 4") }
        if let cpus {
            do { try CPUBinding.checkAllowed(try CPUBinding.parse(cpus)) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() throws {
        // Before anything else starts a thread; threads already running (OpenBLAS's) move too.
        let boundCPUs = try cpus.map { list in
            do {
                let cpus = try CPUBinding.parse(list)
                try CPUBinding.bindProcess(to: cpus)
                return cpus
            } catch {
                FileHandle.standardError.write(Data("distill-worker: error: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        BLAS.setThreads(1)
        let stop = StopFlag()
        stop.installSignalHandlers()
        var options = WorkerSession.Options(name: name ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())")
        options.coordinatorTimeout = coordinatorTimeout
        options.threads = threads ?? boundCPUs?.count ?? ProcessInfoCores.count
        options.sharedMemoryFolder = sharedMemory
        do {
            if let student {
                options.specHash = RunDescription.specHash(student: try ModelSpec.load(student), teacher: try teacher.map(ModelSpec.load))
            }
            let security: TransportSecurity
            if let keySource, let serverKeySource {
                let own = try Worker.certificate(keySource, from: key == nil ? WorkerKeyEnvironment.key : nil)
                let server = try Worker.certificate(serverKeySource, from: serverKey == nil ? WorkerKeyEnvironment.serverKey : nil)
                security = .curveClient(keyPair: try own.keyPair(file: key ?? WorkerKeyEnvironment.key), serverKey: server.publicKey)
            } else {
                security = .insecure
            }
            if insecure {
                FileHandle.standardError.write(Data("warning: --insecure: plain TCP, anyone on the network can read this worker's traffic and impersonate the coordinator\n".utf8))
            }
            var serviceOptions = WorkerService.Options(session: options)
            serviceOptions.once = once
            let exit = try WorkerService(transport: try Transport(security: security), endpoint: connect, options: serviceOptions, stop: stop).run()
            FileHandle.standardError.write(Data("distill-worker \(options.name): \(exit)\n".utf8))
            if exit.isClean { return }
            if case .interrupted = exit { throw ExitCode(130) }
            throw ExitCode(1)
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("distill-worker \(options.name): error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// A non-empty environment variable.
    private static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The certificate named by a flag (always a path) or by environment `variable`.
    private static func certificate(_ value: String, from variable: String?) throws -> CurveCertificate {
        if let variable { return try WorkerKeyEnvironment.certificate(value, variable: variable) }
        return try CurveCertificate.load(value)
    }
}
