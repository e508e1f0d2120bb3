import Foundation

/// `distill-worker` processes started by the coordinator itself (local mode): same binary
/// folder, one compute thread and one BLAS thread each, serving this run only (`--once`),
/// stopped at the end of the run or on Ctrl-C.
public final class LocalWorkers {
    private var processes: [Process] = []
    /// The worker executable used.
    public let executable: String

    /// The CPUs each worker is bound to (`--cpus`), or nil when they are not bound.
    public let cpus: [[Int]]?

    /// Starts `count` workers connecting to `endpoint`, each with `arguments` added to its
    /// command line and `environment(i)` to its environment (keys go there, never on the
    /// command line). With `bindToCPUs`, worker `i` runs on the `i`-th share of this process's
    /// CPUs (``CPUBinding/shares(workers:of:)``) when there are at least as many CPUs as workers.
    /// `executable` defaults to `distill-worker` beside the running program.
    public init(count: Int, endpoint: String, arguments: [String] = [], environment extra: (Int) -> [String: String] = { _ in [:] },
                bindToCPUs: Bool = false, executable: String? = nil, coordinatorTimeout: Double = 60) throws {
        let path = executable ?? LocalWorkers.siblingExecutable("distill-worker")
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ConfigError.invalid(source: "--local-workers", detail: "worker executable \(path) not found; build it with swift build")
        }
        self.executable = path
        cpus = bindToCPUs ? CPUBinding.shares(workers: count, of: CPUBinding.allowed()) : nil
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        for i in 0..<count {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = ["--connect", endpoint, "--name", "local-\(i)", "--coordinator-timeout", String(coordinatorTimeout),
                           "--threads", "1", "--once"] + (cpus.map { ["--cpus", CPUBinding.list($0[i])] } ?? []) + arguments
            p.environment = environment.merging(extra(i)) { $1 }
            try p.run()
            processes.append(p)
        }
    }

    /// A shared-memory folder for local workers (``PrivateFolder/sharedMemory()``), or nil
    /// after a warning on standard error when none can be made: the workers then receive the
    /// parameters and send their gradients through the socket, with the same results.
    public static func sharedMemoryFolder() -> PrivateFolder? {
        do { return try PrivateFolder.sharedMemory() } catch {
            FileHandle.standardError.write(Data("warning: no shared memory for the local workers (\(error)); parameters and gradients go through the socket\n".utf8))
            return nil
        }
    }

    /// How the workers were placed, for a run's first lines: "bound to CPUs 0 | 1", or nil.
    public var placement: String? { cpus.map(Self.placement) }

    /// Workers bound to `cpus` (one list per worker) in words: "bound to CPUs 0-3 | 4-7".
    public static func placement(_ cpus: [[Int]]) -> String {
        "bound to CPUs " + cpus.map(CPUBinding.list).joined(separator: " | ")
    }

    /// Process ids of the workers (for tests that kill them).
    public var processIdentifiers: [Int32] { processes.map(\.processIdentifier) }

    /// Waits up to `grace` seconds for the workers to exit (after a shutdown message), then
    /// sends SIGTERM, and SIGKILL to any still alive a second later.
    public func stop(grace: Double = 5) {
        let deadline = MonotonicClock.now() + grace
        while processes.contains(where: \.isRunning), MonotonicClock.now() < deadline { usleep(20_000) }
        for p in processes where p.isRunning { p.terminate() }
        let killDeadline = MonotonicClock.now() + 1
        while processes.contains(where: \.isRunning), MonotonicClock.now() < killDeadline { usleep(20_000) }
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        for p in processes { p.waitUntilExit() }
        processes.removeAll()
    }

    deinit { stop(grace: 0) }

    /// `name` in the folder of the running executable.
    public static func siblingExecutable(_ name: String) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
