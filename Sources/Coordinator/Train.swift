import ArgumentParser
import Core
import Foundation

/// `distill-coordinator train`: one training run, single-process or with workers.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a teacher, or distil a student from a teacher checkpoint.",
        discussion: "Configuration keys are listed in docs/CONFIG.md; every key can be overridden with --set. "
            + "--resume DIR continues a stopped run exactly from DIR/checkpoint.safetensors under DIR/config.yaml; "
            + "--resume-if-exists does so for the --out folder when it holds a checkpoint and starts the run otherwise. "
            + "With --bind and train.shards 0, each batch is cut into as many shards as the first --min-workers workers have "
            + "compute threads together (distill-worker --threads). "
            + "Exit status: 0 when the run completed, stopped early (train.early_stop_patience) or was stopped by a signal, 1 on an error, "
            + "\(Divergence.exitStatus) when a step diverged (non-finite loss or gradient, or a loss above "
            + "train.divergence_factor × the median): the folder then holds the last good step, with stopped_reason in summary.json."
            + """


            Examples:
              distill-coordinator train --out runs/teacher --set train.epochs=5
              distill-coordinator train --config fm.yaml --out runs/fm --local-workers 2
              distill-coordinator train --resume runs/fm
            """)

    @OptionGroup var configuration: ConfigOptions

    @Option(name: .long, help: "Output folder: config.yaml, metrics.jsonl, summary.json, checkpoints and the weights.")
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Continue the run in this folder from its last checkpoint, with its config.yaml.", valueName: "dir"))
    var resume: String?

    @Flag(help: "If the --out folder holds a checkpoint, continue that run from it (as --resume does, with its config.yaml), else start it: a scheduler can restart the same command blindly.")
    var resumeIfExists = false

    @Option(help: "Serve workers on this address, e.g. tcp://0.0.0.0:5555 (distributed mode); with train.shards 0 the shards follow the first --min-workers workers' threads.")
    var bind: String?

    @Option(help: "Start this many distill-worker processes on this machine (local mode; implies distributed mode).")
    var localWorkers = 0

    @Flag(inversion: .prefixedNo,
          help: "With --local-workers and no --bind: hand the workers parameters and gradients through shared memory in /dev/shm instead of the socket (same results, less copying).")
    var sharedMemory = true

    @Flag(inversion: .prefixedNo,
          help: "With --local-workers: run each worker on its own share of this process's CPUs when there are at least as many CPUs as workers (faster on a machine given to the run); --no-pin-workers lets the scheduler place them, for CPUs shared with other jobs.")
    var pinWorkers = true

    @Option(help: "Hand out shards only while at least this many workers are connected.")
    var minWorkers = 1

    @Option(help: "Seconds of silence after which a worker is dropped and its shards reassigned.")
    var workerTimeout: Double = 10

    @Option(help: ArgumentHelp("With --bind: serve CURVE-encrypted connections and admit only the workers whose keys are in KEYDIR/authorized (re-read on SIGHUP); make KEYDIR with distill-coordinator keygen.", valueName: "keydir"))
    var keys: String?

    @Flag(help: "With --bind tcp://: serve plain TCP, with no encryption and no authentication. Only on a network you trust.")
    var insecure = false

    @Option(help: ArgumentHelp("Fraction of shards recomputed on a second worker and compared (default 0.02 with --bind tcp://, else 0).",
                               valueName: "p"))
    var auditFraction: Double?

    @Option(help: "Relative L2 difference allowed between audited results of workers with different CPUs or BLAS kernels.")
    var auditTolerance: Double = 1e-4

    @Option(help: "Reassign a shard held longer than this many times the median shard time plus --worker-timeout.")
    var shardDeadlineFactor: Double = 5

    @Option(help: ArgumentHelp("How to show progress: a live bar per epoch on a terminal (auto), always the bar, or plain lines every train.log_every steps.",
                               valueName: "auto|bar|plain"))
    var progress: ProgressMode = .auto

    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://ADDRESS/metrics: a port (bound to 127.0.0.1) or HOST:PORT, e.g. 9464 or 0.0.0.0:9464.",
                               valueName: "address"))
    var metrics: String?

    func validate() throws {
        if let metrics {
            do { _ = try MetricsAddress(metrics) } catch { throw ValidationError("\(error)") }
        }
        if let resume {
            if resume.isEmpty { throw ValidationError("--resume needs the run folder, e.g. --resume runs/teacher") }
            if !configuration.overrides.isEmpty {
                throw ValidationError("--set cannot be used with --resume: the configuration is fixed by \(resume)/config.yaml")
            }
            if configuration.config != nil { throw ValidationError("--config cannot be used with --resume: the run continues with \(resume)/config.yaml") }
            if let out, URL(fileURLWithPath: out).standardizedFileURL.path != URL(fileURLWithPath: resume).standardizedFileURL.path {
                throw ValidationError("--out must be the --resume folder \(resume) (a resumed run writes into its own folder); omit --out")
            }
            if resumeIfExists { throw ValidationError("--resume-if-exists goes with --out DIR, not with --resume (which requires the checkpoint)") }
        } else if out?.isEmpty ?? true {
            throw ValidationError("--out needs a folder, e.g. --out runs/teacher (or --resume DIR to continue a run)")
        }
        if localWorkers < 0 { throw ValidationError("--local-workers must be 0 or more") }
        if minWorkers < 1 { throw ValidationError("--min-workers must be at least 1") }
        if workerTimeout <= 0 { throw ValidationError("--worker-timeout must be positive") }
        if keys != nil && insecure { throw ValidationError("--keys and --insecure exclude each other: --keys encrypts and authenticates, --insecure does neither") }
        if keys != nil && bind == nil {
            throw ValidationError("--keys needs --bind, e.g. --bind tcp://0.0.0.0:5555 --keys \(keys!) (local mode without --bind needs no keys)")
        }
        if insecure && !(bind?.hasPrefix("tcp://") ?? false) { throw ValidationError("--insecure only applies to --bind tcp://…") }
        if let bind, bind.hasPrefix("tcp://"), keys == nil, !insecure {
            throw ValidationError("--bind \(bind) needs CURVE keys: create them once with\n"
                + "    distill-coordinator keygen --out KEYDIR --workers N\n"
                + "then add --keys KEYDIR here and start each worker with\n"
                + "    distill-worker --connect tcp://HOST:PORT --key KEYDIR/worker-i.key_secret --server-key KEYDIR/coordinator.key\n"
                + "(or pass --insecure to both for plain, unauthenticated TCP on a network you trust)")
        }
        if let auditFraction, !(0...1).contains(auditFraction) { throw ValidationError("--audit-fraction must be in [0, 1], e.g. 0.02") }
        if !(auditTolerance >= 0 && auditTolerance.isFinite) { throw ValidationError("--audit-tolerance must be 0 or more, e.g. 1e-4") }
        if !(shardDeadlineFactor >= 1 && shardDeadlineFactor.isFinite) { throw ValidationError("--shard-deadline-factor must be at least 1, e.g. 5") }
    }

    func run() throws {
        try reportingErrors {
            let folder = resume ?? out!
            let fresh = resume == nil && !(resumeIfExists && Checkpoint.exists(in: folder))
            let resume = fresh ? nil : self.resume ?? folder
            if self.resume == nil, let resume, configuration.config != nil || !configuration.overrides.isEmpty {
                print("note: \(resume) holds a checkpoint: the run continues with \(resume)/config.yaml; --config and --set apply only to a fresh start")
            }
            let runConfig = self.resume == nil && resume != nil
                ? try RunConfig.load(path: folder + "/config.yaml", overrides: [])
                : try configuration.load(fallback: resume.map { $0 + "/config.yaml" })
            var restored: Checkpoint?
            if let resume {
                let (checkpoint, notice) = try Checkpoint.latest(in: resume, config: runConfig)
                if let notice { print("warning: \(notice)") }
                restored = checkpoint
            }
            let stop = StopFlag()
            stop.installSignalHandlers()
            let threads = runConfig.int("train.threads") > 0 ? runConfig.int("train.threads") : ProcessInfoCores.count
            let distributed = bind != nil || localWorkers > 0
            let setup = try TrainingSetup(config: runConfig, parallelism: distributed ? max(localWorkers, minWorkers) : threads,
                                          runID: restored?.runID ?? .random(in: 1...UInt64.max))
            if let restored, restored.step >= setup.totalSteps {
                print("nothing left to do: \(folder) already holds all \(setup.totalSteps) steps (see \(folder)/summary.json)")
                return
            }
            if let restored, restored.validation.exhausted(patience: runConfig.int("train.early_stop_patience")) {
                print("nothing left to do: \(folder) stopped early at step \(restored.step) (see \(folder)/summary.json)")
                return
            }
            // Local mode hands parameters and gradients over in shared memory. The master moves
            // there before anything binds to it, so the optimiser writes each version where the
            // workers read it. If it cannot move, the server makes the region (or warns) and copies.
            var sharedMemoryFolder: PrivateFolder?, sharedParameters: SharedMemoryRegion?
            if sharedMemory && localWorkers > 0 && bind == nil, let folder = LocalWorkers.sharedMemoryFolder() {
                sharedMemoryFolder = folder
                sharedParameters = try? setup.moveStudentToSharedMemory(folder: folder.path)
            }
            let pool = LocalShardPool(executors: try (0..<threads).map { _ in try setup.makeExecutor() })
            let backend: ShardBackend
            var server: CoordinatorServer?
            var workers: LocalWorkers?
            var ipcFolder: PrivateFolder?
            defer {
                server?.shutdown(reason: stop.stopReason ?? "run finished")
                workers?.stop()
                withExtendedLifetime((ipcFolder, sharedMemoryFolder)) {}  // the folders go after the workers
            }
            if distributed {
                var options = CoordinatorServer.Options()
                options.minWorkers = max(minWorkers, localWorkers)
                options.peerTimeout = workerTimeout
                options.audit = AuditPolicy(fraction: auditFraction ?? (bind?.hasPrefix("tcp://") == true ? 0.02 : 0), tolerance: auditTolerance)
                options.shardDeadlineFactor = shardDeadlineFactor
                let endpoint: String
                if let bind { endpoint = bind } else {
                    let folder = try PrivateFolder()
                    ipcFolder = folder
                    endpoint = folder.endpoint()
                    options.sharedMemoryFolder = sharedMemoryFolder?.path
                    options.sharedParameters = sharedParameters
                }
                let access = try CoordinatorAccess(keys: keys, insecure: insecure, localWorkers: localWorkers)
                let probe = try Network(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes)
                let s = try CoordinatorServer(
                    transport: access.transport, endpoint: endpoint, run: RunDescription(setup: setup, runID: setup.runID),
                    teacher: setup.teacher?.parameters, shape: ResultShape(network: probe), options: options, stop: stop)
                server = s
                backend = s
                if localWorkers > 0 {
                    workers = try LocalWorkers(count: localWorkers, endpoint: s.endpoint,
                                               arguments: access.localWorkerArguments + (sharedMemoryFolder.map { ["--shared-memory", $0.path] } ?? []),
                                               environment: { access.localWorkerEnvironment.indices.contains($0) ? access.localWorkerEnvironment[$0] : [:] },
                                               bindToCPUs: pinWorkers)
                }
                print("coordinator listening on \(s.endpoint)" + (localWorkers > 0 ? " with \(localWorkers) local workers" : "")
                    + (workers?.placement.map { " " + $0 } ?? ""))
                if bind != nil && setup.shardsAutomatic {
                    let threads: [Int]
                    do { threads = try s.awaitWorkers() } catch let interrupted as RunInterrupted {
                        print("stopped before the first step (\(interrupted.reason)); nothing was written to \(folder)")
                        return
                    }
                    try setup.followWorkers(threads: threads)
                    print("train.shards = \(setup.shards): the compute threads of the first \(threads.count) worker\(threads.count == 1 ? "" : "s") "
                        + "(\(threads.map(String.init).joined(separator: " + "))); set train.shards to fix it")
                }
            } else {
                backend = pool
            }
            print("training \(setup.studentSpec.name) (\(setup.student.layout.parameterCount) parameters) on \(setup.train.count) images, "
                + "\(setup.totalSteps) steps of \(setup.batchSize) in \(setup.shards) shards "
                + (distributed ? "on workers" : "on \(threads) threads")
                + (setup.teacher.map { ", distilled from \($0.spec.name) (T=\(setup.objective.temperature), λ=\(setup.objective.alpha))" } ?? ""))
            let output = try RunOutput(directory: folder)
            let trainer = try Trainer(setup: setup, backend: backend, evaluator: pool, output: output)
            let display = progress.showsBar(outputIsTerminal: isatty(STDOUT_FILENO) == 1) ? ProgressDisplay() : nil
            let monitor = try RunMonitor(directory: folder, board: server?.board, display: display)
            trainer.observers = [monitor]
            if let display {
                trainer.reportsLogLines = false
                trainer.report = display.printLine
                server?.report = display.printLine
            }
            var metricsServer: MetricsServer?
            defer { metricsServer?.stop() }
            if let metrics {
                let exposition = PrometheusExposition()
                metricsServer = try MetricsServer(address: try MetricsAddress(metrics)) { exposition.render(monitor.status()) }
                print("metrics on http://\(metricsServer!.address)/metrics")
            }
            if let restored {
                try trainer.restore(from: restored)
                print("resuming from \(restored.source) at step \(restored.step) (epoch \(restored.epoch))")
            }
            trainer.shouldStop = { stop.stopReason != nil }
            let summary: TrainingSummary
            do { summary = try trainer.run() } catch {
                monitor.runFailed()
                throw error
            }
            if let divergence = trainer.divergence {
                FileHandle.standardError.write(Data("error: \(divergence)\n".utf8))
                print("stopped after \(summary.steps) steps (\(divergence.stopReason.rawValue)); outputs in \(folder) are consistent")
                throw ExitCode(Divergence.exitStatus)
            }
            if let reason = stop.stopReason { print("stopped early (\(reason)) after \(summary.steps) steps; outputs are consistent") }
            print("done: \(summary.steps) steps, test accuracy \(String(format: "%.2f%%", summary.testAccuracy * 100)), params_sha256 \(summary.paramsSHA256)")
            if let server {
                let st = server.statistics
                let median = st.recoverySeconds.sorted().dropFirst(st.recoverySeconds.count / 2).first
                print("workers: \(st.joined) joined, \(st.lost) lost, \(st.refused) refused, \(st.refusedForRun) refused for the run; "
                    + "\(st.reassignedShards) shards reassigned, \(st.staleResults) stale results dropped, \(st.rejectedResults) results rejected"
                    + (median.map { String(format: "; median recovery %.2f s over %d losses", $0, st.recoverySeconds.count) } ?? "")
                    + (sharedMemoryFolder == nil ? "" : "; \(st.sharedMemoryResults) results read in shared memory"))
                print("audit: \(st.auditedShards) shards audited, \(st.auditMismatches) mismatches, \(st.auditsSkipped) skipped "
                    + "(fewer than two workers connected)")
            }
            print("outputs in \(folder)")
        }
    }
}

extension ProgressMode: ExpressibleByArgument {}
