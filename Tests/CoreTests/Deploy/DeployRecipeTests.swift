import Foundation
import XCTest
@testable import Core

/// The launch recipes in `deploy/`: the Slurm and network-namespace self-tests run for real
/// (root only), the recipes nothing here can run (Kubernetes, containers, systemd) pass their
/// offline checkers, and a broken file is caught. Each script exits 77 when this machine cannot
/// run it; that becomes a skip with the script's reason.
final class DeployRecipeTests: XCTestCase {
    /// The repository root (this file is Tests/CoreTests/Deploy/DeployRecipeTests.swift).
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    private var scratch: String!
    override func setUp() {
        scratch = NSTemporaryDirectory() + "/distill-deploy-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }

    /// Runs `deploy/<script>` with the binaries built beside this test; returns its status and
    /// combined output, or throws XCTSkip with the script's reason when it exits 77.
    private func run(_ script: String, _ arguments: [String] = []) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "\(Self.repository)/deploy/\(script)")
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: Self.repository)
        var environment = ProcessInfo.processInfo.environment
        environment["DISTILL_BIN"] = URL(fileURLWithPath: LocalWorkers.siblingExecutable("distill-coordinator")).deletingLastPathComponent().path
        p.environment = environment
        let log = "\(scratch!)/\(script.replacingOccurrences(of: "/", with: "-")).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        print(output)
        if p.terminationStatus == 77 {
            let reason = output.split(separator: "\n").last { $0.hasPrefix("skip: ") }.map(String.init) ?? "exit status 77"
            throw XCTSkip("deploy/\(script): \(reason)")
        }
        return (p.terminationStatus, output)
    }

    private func lastLine(_ output: String) -> String {
        String(output.split(separator: "\n").last ?? "")
    }

    func testSlurmClusterRunsTheBatchScript() throws {
        let result = try run("slurm/selftest.sh")
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(lastLine(result.output).hasPrefix("PROVED: sbatch distill.sbatch ran on a 3-node Slurm"), result.output)
    }

    func testNamespacedHostsMatchSingleProcessAndSurviveACutLink() throws {
        let result = try run("netns/selftest.sh")
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(lastLine(result.output).hasPrefix("PROVED: coordinator + 3 workers in separate network namespaces"), result.output)
    }

    func testKubernetesManifestsValidate() throws { try assertPasses("k8s") }

    func testBrokenKubernetesManifestIsCaught() throws {
        try assertCaught(check: "k8s", copyOf: "deploy/k8s/workers-job.yaml", as: "broken.yaml",
                         replacing: "restartPolicy: OnFailure", with: "restartPolice: OnFailure", message: "'restartPolice' was unexpected")
    }

    func testComposeFileIsValid() throws { try assertPasses("compose") }

    func testDockerfilePassesHadolint() throws { try assertPasses("dockerfile") }

    func testSystemdUnitsVerify() throws { try assertPasses("systemd") }

    func testBrokenSystemdUnitIsCaught() throws {
        try assertCaught(check: "systemd", copyOf: "deploy/systemd/distill-worker@.service", as: "broken-worker@.service",
                         replacing: "Restart=always", with: "Restart=sometimes", message: "restart specifier")
    }

    /// Runs `check-recipes.sh check` over the committed files and expects them to pass.
    private func assertPasses(_ check: String) throws {
        let result = try run("check-recipes.sh", [check])
        XCTAssertEqual(result.status, 0, result.output)
    }

    /// Runs `check-recipes.sh check` on a copy of `file` with `old` replaced by `new` and expects
    /// it to fail, saying `message`.
    private func assertCaught(check: String, copyOf file: String, as name: String, replacing old: String, with new: String,
                              message: String) throws {
        let good = try String(contentsOfFile: "\(Self.repository)/\(file)", encoding: .utf8)
        let broken = good.replacingOccurrences(of: old, with: new)
        XCTAssertNotEqual(good, broken, "\(file) no longer contains \(old)")
        try broken.write(toFile: "\(scratch!)/\(name)", atomically: true, encoding: .utf8)
        let result = try run("check-recipes.sh", [check, "\(scratch!)/\(name)"])
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains(message), result.output)
    }
}
