import ArgumentParser
import Core
import Foundation

/// `distill-worker`: computes shards for a coordinator. It needs nothing but the address:
/// the run, the models and the frozen teacher arrive in the welcome message.
@main
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill-worker",
        abstract: "Compute teacher inference and student gradients for a Distill coordinator.",
        discussion: "Exits 0 when the coordinator ends the run, 1 on any error (refused, coordinator lost, bad message), 130 on SIGINT/SIGTERM.")

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

    func validate() throws {
        if connect.isEmpty { throw ValidationError("--connect needs an address, e.g. --connect tcp://127.0.0.1:5555") }
        if coordinatorTimeout <= 0 { throw ValidationError("--coordinator-timeout must be positive") }
        if teacher != nil && student == nil { throw ValidationError("--teacher needs --student too") }
    }

    func run() throws {
        BLAS.setThreads(1)
        let stop = StopFlag()
        stop.installSignalHandlers()
        var options = WorkerSession.Options(name: name ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())")
        options.coordinatorTimeout = coordinatorTimeout
        do {
            if let student {
                options.specHash = RunDescription.specHash(student: try ModelSpec.load(student), teacher: try teacher.map(ModelSpec.load))
            }
            let session = try WorkerSession(endpoint: connect, options: options, stop: stop)
            let exit = try session.run()
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
}
