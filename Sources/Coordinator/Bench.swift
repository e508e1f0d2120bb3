import ArgumentParser
import Core
import Foundation

/// `distill-coordinator bench`: speed measurements printed as a table and one JSON line.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark parts of Distill (release build recommended).",
        discussion: """
            Example:
              distill-coordinator bench kd-step --teacher vgg8-teacher --batch 128
            """,
        subcommands: [KDStep.self])
}

/// Benchmarks the full KD step: augmentation, teacher forward, student forward/backward on
/// micro-shards over threads, the ordered gradient reduction and the Adam update.
struct KDStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kd-step",
        abstract: "Samples per second of the KD training step, and its fraction of the sgemm peak.",
        discussion: """
            Examples:
              distill-coordinator bench kd-step --teacher vgg8-teacher --batch 128
              distill-coordinator bench kd-step --threads 2 --local-workers 1,2
            """)

    @Option(help: "Teacher model (preset or spec file).") var teacher = "vgg8-teacher"
    @Option(help: "Student model (preset or spec file).") var student = "seed-student"
    @Option(help: "Global batch size.") var batch = 128
    @Option(help: "Micro-shards per batch (0: one per thread).") var shards = 0
    @Option(help: "Compute threads (0: one per core).") var threads = 0
    @Option(help: "Measured steps.") var steps = 10
    @Option(help: "Warm-up steps, not measured.") var warmup = 2

    @Option(help: ArgumentHelp("Also measure local mode with these worker counts, e.g. 2 or 1,2,4 (compared with the single-process run).", valueName: "n,..."))
    var localWorkers: String = ""

    func validate() throws {
        if parsedWorkerCounts == nil { throw ValidationError("--local-workers takes worker counts such as 2 or 1,2,4") }
        if batch < 1 || steps < 1 || warmup < 0 { throw ValidationError("--batch and --steps must be positive, --warmup not negative") }
    }

    private var parsedWorkerCounts: [Int]? {
        if localWorkers.isEmpty { return [] }
        let counts = localWorkers.split(separator: ",").map { Int($0) }
        return counts.allSatisfy({ ($0 ?? 0) > 0 }) ? counts.map { $0! } : nil
    }

    /// One measured configuration.
    struct Measurement {
        var seconds: Double
        var summaryOverhead: Double
        var bytesPerStep: Double?
    }

    func run() throws {
        try reportingErrors {
            let threads = self.threads > 0 ? self.threads : ProcessInfoCores.count
            let peak = BLAS.measurePeakGFLOPS(threads: threads)
            var config = RunConfig()
            try config.set("data.train_size", text: String(max(batch, 256)))
            try config.set("data.test_size", text: "256")
            try config.set("model.spec", text: student)
            try config.set("train.batch_size", text: String(batch))
            try config.set("train.steps", text: String(steps + warmup))
            try config.set("train.shards", text: String(shards > 0 ? shards : threads))
            let teacherPath = try KDStep.randomTeacher(teacher, config: config)
            defer { try? FileManager.default.removeItem(atPath: teacherPath) }
            try config.set("teacher.checkpoint", text: teacherPath)
            let setup = try TrainingSetup(config: config, parallelism: threads)
            let pool = LocalShardPool(executors: try (0..<threads).map { _ in try setup.makeExecutor() })
            let single = try measure(setup: setup, backend: pool, pool: pool)
            let teacherBatch = try setup.train.prefix(batch)
            let started = MonotonicClock.now()
            for _ in 0..<steps { _ = pool.evaluate(teacherBatch, batchSize: (batch + threads - 1) / threads, teacher: true) }
            let teacherSeconds = MonotonicClock.now() - started
            var local: [(workers: Int, result: Measurement)] = []
            for workers in parsedWorkerCounts ?? [] {
                local.append((workers, try measureLocal(setup: setup, workers: workers, pool: pool)))
            }
            let flops = try FlopCount(setup: setup)
            let samplesPerSecond = Double(batch * steps) / single.seconds
            let gflops = flops.stepPerSample * samplesPerSecond / 1e9
            print("KD step: \(setup.teacher!.spec.name) → \(setup.studentSpec.name), batch \(batch), \(setup.shards) shards, \(threads) threads")
            print("  step time                 \(String(format: "%8.1f", 1000 * single.seconds / Double(steps))) ms")
            print("  samples/s                 \(String(format: "%8.1f", samplesPerSecond))")
            print("  teacher-only samples/s    \(String(format: "%8.1f", Double(batch * steps) / teacherSeconds))")
            print("  GFLOP per sample          \(String(format: "%8.3f", flops.stepPerSample / 1e9)) (teacher fwd \(String(format: "%.3f", flops.teacherForward / 1e9)), student fwd+bwd \(String(format: "%.3f", flops.studentTraining / 1e9)))")
            print("  achieved GFLOP/s          \(String(format: "%8.1f", gflops))")
            print("  sgemm peak GFLOP/s        \(String(format: "%8.1f", peak)) (\(threads) threads, 2048³)")
            print("  fraction of peak          \(String(format: "%8.3f", gflops / peak))")
            print("  coordinator overhead      \(String(format: "%8.3f", single.summaryOverhead)) of the step")
            var json: [String: Any] = [
                "benchmark": "kd-step", "teacher": setup.teacher!.spec.name, "student": setup.studentSpec.name,
                "batch": batch, "shards": setup.shards, "threads": threads, "steps": steps,
                "samples_per_s": samplesPerSecond, "teacher_samples_per_s": Double(batch * steps) / teacherSeconds,
                "step_ms": 1000 * single.seconds / Double(steps), "gflop_per_sample": flops.stepPerSample / 1e9,
                "achieved_gflops": gflops, "sgemm_gflops": peak, "fraction_of_peak": gflops / peak,
                "coordinator_overhead_fraction": single.summaryOverhead,
            ]
            if !local.isEmpty {
                print("  local mode (worker processes, 1 BLAS thread each; more workers than cores is oversubscribed):")
                print("    workers   samples/s   vs single process   parallel efficiency   overhead   MB sent+received/step")
                var rows: [[String: Any]] = []
                for (workers, m) in local {
                    let rate = Double(batch * steps) / m.seconds
                    let oneWorker = local.first { $0.workers == 1 }.map { Double(batch * steps) / $0.result.seconds }
                    let efficiency = oneWorker.map { rate / ($0 * Double(min(workers, threads))) }
                    let efficiencyText = efficiency.map { String(format: "%19.3f", $0) } ?? String(repeating: " ", count: 18) + "-"
                    print(String(format: "    %7d   %9.1f   %17.3f   ", workers, rate, rate / samplesPerSecond) + efficiencyText
                        + String(format: "   %8.3f   %21.1f", m.summaryOverhead, (m.bytesPerStep ?? 0) / 1e6))
                    rows.append(["workers": workers, "samples_per_s": rate, "ratio_to_single_process": rate / samplesPerSecond,
                                 "coordinator_overhead_fraction": m.summaryOverhead, "bytes_per_step": m.bytesPerStep ?? 0])
                }
                json["local_mode"] = rows
            }
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// Times `steps` KD steps (after `warmup`) through the trainer with `backend`.
    private func measure(setup: TrainingSetup, backend: ShardBackend, pool: LocalShardPool) throws -> Measurement {
        setup.student.initialize(seed: UInt64(setup.config.int("seed")))
        let scratch = NSTemporaryDirectory() + "/distill-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let trainer = try Trainer(setup: setup, backend: backend, evaluator: pool, output: try RunOutput(directory: scratch))
        for i in 0..<warmup { try trainer.trainStep(i) }
        let started = MonotonicClock.now()
        let costAtStart = backend.networkCost
        let shardSecondsAtStart = trainer.shardSeconds
        for i in warmup..<(warmup + steps) { try trainer.trainStep(i) }
        let seconds = MonotonicClock.now() - started
        let cost = backend.networkCost.map { c in
            (bytes: Double(c.bytesSent + c.bytesReceived - (costAtStart?.bytesSent ?? 0) - (costAtStart?.bytesReceived ?? 0)) / Double(steps),
             serialization: c.serializationSeconds - (costAtStart?.serializationSeconds ?? 0))
        }
        let overhead = (seconds - (trainer.shardSeconds - shardSecondsAtStart) + (cost?.serialization ?? 0)) / seconds
        return Measurement(seconds: seconds, summaryOverhead: overhead, bytesPerStep: cost?.bytes)
    }

    /// Measures local mode with `workers` worker processes.
    private func measureLocal(setup: TrainingSetup, workers: Int, pool: LocalShardPool) throws -> Measurement {
        var options = CoordinatorServer.Options()
        options.minWorkers = workers
        let probe = try Network(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes)
        let folder = try PrivateIPCFolder()
        let server = try CoordinatorServer(
            transport: try Transport(security: .insecure), endpoint: folder.endpoint(),
            run: RunDescription(setup: setup, runID: UInt64.random(in: 1...UInt64.max)), teacher: setup.teacher?.parameters,
            shape: ResultShape(network: probe), options: options, stop: StopFlag())
        server.report = { _ in }
        let processes = try LocalWorkers(count: workers, endpoint: server.endpoint)
        defer { server.shutdown(reason: "benchmark finished"); processes.stop(); withExtendedLifetime(folder) {} }
        return try measure(setup: setup, backend: server, pool: pool)
    }

    /// Writes a randomly initialised teacher model file for the benchmark and returns its path.
    static func randomTeacher(_ name: String, config: RunConfig) throws -> String {
        let spec = try ModelSpec.load(name)
        let network = try Network(spec: spec, inputShape: [32, 32, 3], classes: 10)
        let parameters = ModelParameters(layout: network.layout)
        parameters.initialize(seed: 99)
        let path = NSTemporaryDirectory() + "/distill-bench-teacher-\(getpid()).safetensors"
        try ModelFile(spec: spec, inputShape: [32, 32, 3], classes: 10,
                      normalization: Normalization.unit(channels: 3), role: "teacher", parameters: parameters).write(to: path)
        return path
    }
}
