import Foundation
import XCTest
@testable import Core

/// Runs the package's executables as real processes for the distributed tests, with
/// captured output and bounded waits; everything started is killed in `cleanUp`.
final class ProcessHarness {
    private var processes: [Process] = []
    let scratch: String

    init() {
        scratch = NSTemporaryDirectory() + "/distill-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    /// Path of a product built beside the test binary, or `name` itself when it is an absolute path.
    static func executable(_ name: String) -> String { name.hasPrefix("/") ? name : LocalWorkers.siblingExecutable(name) }

    /// Starts `executable` with `arguments` and `environment` added to this process's;
    /// stdout and stderr go to files under `scratch`.
    @discardableResult
    func start(_ executable: String, _ arguments: [String], label: String, environment extra: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ProcessHarness.executable(executable))
        p.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = environment.merging(extra) { $1 }
        _ = FileManager.default.createFile(atPath: "\(scratch)/\(label).out", contents: nil)
        _ = FileManager.default.createFile(atPath: "\(scratch)/\(label).err", contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: "\(scratch)/\(label).out")
        p.standardError = FileHandle(forWritingAtPath: "\(scratch)/\(label).err")
        try p.run()
        processes.append(p)
        return p
    }

    /// What a process started as `label` wrote to stdout and stderr.
    func output(_ label: String) -> String { standardOutput(label) + standardError(label) }

    /// What a process started as `label` wrote to stdout.
    func standardOutput(_ label: String) -> String { (try? String(contentsOfFile: "\(scratch)/\(label).out", encoding: .utf8)) ?? "" }

    /// What a process started as `label` wrote to stderr.
    func standardError(_ label: String) -> String { (try? String(contentsOfFile: "\(scratch)/\(label).err", encoding: .utf8)) ?? "" }

    /// Runs `executable` with `arguments` to its exit (at most two minutes) at 80 columns; returns
    /// its status (nil when it was killed), stdout and stderr.
    func run(_ executable: String, _ arguments: [String], label: String) throws -> (status: Int32?, out: String, err: String) {
        let p = try start(executable, arguments, label: label, environment: ["COLUMNS": "80"])
        let status = wait(p, timeout: 120)
        return (status, standardOutput(label), standardError(label))
    }

    /// Waits up to `timeout` seconds for `p` to exit; returns its status, or nil (and kills it) on timeout.
    func wait(_ p: Process, timeout: Double) -> Int32? {
        let deadline = MonotonicClock.now() + timeout
        while p.isRunning, MonotonicClock.now() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit(); return nil }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// The address a coordinator started as `label` prints (`coordinator listening on …`),
    /// waiting up to a minute; nil if it never does.
    func coordinatorEndpoint(_ label: String) -> String? {
        var endpoint: String?
        _ = eventually(timeout: 60) {
            endpoint = output(label).split(separator: "\n").first { $0.hasPrefix("coordinator listening on ") }
                .map { String($0.dropFirst("coordinator listening on ".count)) }
            return endpoint != nil
        }
        return endpoint
    }

    /// `Cpus_allowed_list` of each thread of process `pid`.
    func threadAffinities(of pid: Int32) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { tid in
            (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/status", encoding: .utf8))?
                .split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
                .map { $0.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces) }
        }
    }

    /// Polls `condition` every 20 ms for up to `timeout` seconds.
    func eventually(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        while MonotonicClock.now() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    func cleanUp() {
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        for p in processes { p.waitUntilExit() }
        processes.removeAll()
        try? FileManager.default.removeItem(atPath: scratch)
    }
}
