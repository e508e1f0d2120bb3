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
              distill-coordinator bench layers --model seed-student --mode training
            """,
        subcommands: [KDStep.self, BenchLayers.self])
}

/// Benchmarks the full KD step: (augmentation,) teacher forward, student forward/backward on
/// micro-shards over threads, the ordered gradient reduction and the optimiser step, on random
/// data of any input shape, with a breakdown of the step, allocations per step and peak memory.
struct KDStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kd-step",
        abstract: "Samples per second of the KD training step, and its fraction of the sgemm peak.",
        discussion: """
            The CNN pair: --teacher vgg8-teacher --student seed-student (32x32x3). The MLP pair: \
            --teacher hinton-teacher --student hinton-student --input 28x28x1. Allocations per step \
            are reported when bench/malloc-count's libmalloc_count.so is preloaded (scripts/bench-peers.sh does).

            Examples:
              distill-coordinator bench kd-step --teacher vgg8-teacher --batch 128
              distill-coordinator bench kd-step --threads 2 --local-workers 1,2
              distill-coordinator bench kd-step --teacher none --student hinton-student --input 28x28x1
            """)

    @Option(help: "Teacher model (preset or spec file), or none: the student trained alone (cross-entropy on the labels).") var teacher = "vgg8-teacher"
    @Option(help: "Student model (preset or spec file).") var student = "seed-student"
    @Option(help: ArgumentHelp("Input image shape, height x width x channels.", valueName: "HxWxC")) var input = "32x32x3"
    @Option(help: "Global batch size.") var batch = 128
    @Option(help: "Micro-shards per batch (0: one per thread).") var shards = 0
    @Option(help: "Compute threads (0: one per core).") var threads = 0
    @Option(help: "Measured steps.") var steps = 10
    @Option(help: "Warm-up steps, not measured.") var warmup = 2
    @Option(help: "Optimiser: sgd (momentum 0.9, as the peers in bench/peers) or adam.") var optimizer = "sgd"
    @Flag(help: "Augment every batch with the default settings (shifts, flips); off, as in the peers, by default.") var augment = false
    @Option(help: "Side of the square sgemm measuring the peak (0: skip the peak).") var peakSize = 2048

    @Option(help: ArgumentHelp("Also measure local mode with these worker counts, e.g. 2 or 1,2,4 (compared with the single-process run).", valueName: "n,..."))
    var localWorkers: String = ""
    @Flag(inversion: .prefixedNo, help: "In local mode, hand parameters and gradients over through shared memory (as train does), or through the socket.")
    var sharedMemory = true

    @Flag(inversion: .prefixedNo,
          help: "In local mode, run each worker on its own share of this process's CPUs when there are at least as many CPUs as workers (as train does), or let the scheduler place them.")
    var pinWorkers = true
    @Option(help: ArgumentHelp("Measure the single process and each local mode this many times, alternately; report medians "
        + "(local mode: the median of each round's ratio to that round's single process).", valueName: "n"))
    var rounds = 1

    func validate() throws {
        if parsedWorkerCounts == nil { throw ValidationError("--local-workers takes worker counts such as 2 or 1,2,4") }
        if batch < 1 || steps < 1 || warmup < 0 { throw ValidationError("--batch and --steps must be positive, --warmup not negative") }
        if KDStep.parseShape(input) == nil { throw ValidationError("--input takes a shape such as 32x32x3 or 28x28x1") }
        if !["sgd", "adam"].contains(optimizer) { throw ValidationError("--optimizer takes sgd or adam") }
        if peakSize < 0 { throw ValidationError("--peak-size must not be negative") }
        if rounds < 1 { throw ValidationError("--rounds must be at least 1") }
    }

    private var parsedWorkerCounts: [Int]? {
        if localWorkers.isEmpty { return [] }
        let counts = localWorkers.split(separator: ",").map { Int($0) }
        return counts.allSatisfy({ ($0 ?? 0) > 0 }) ? counts.map { $0! } : nil
    }

    /// `HxWxC` as `[H, W, C]`, or nil unless it names three sides from 1 to 4096.
    static func parseShape(_ text: String) -> [Int]? {
        let sides = text.split(separator: "x").map { Int($0) }
        guard sides.count == 3, sides.allSatisfy({ ($0 ?? 0) > 0 && $0! <= 4096 }) else { return nil }
        return sides.map { $0! }
    }

    /// One measured configuration.
    struct Measurement {
        var seconds: Double
        var summaryOverhead: Double
        var bytesPerStep: Double?
        /// Heap allocations per measured step, when counted.
        var allocationsPerStep: Double?
        /// Shard phases summed over the executors during the measured steps.
        var phases: ShardPhaseSeconds
        /// Seconds of shard computation per step, summed over the step's shards, as the
        /// computing threads or workers timed them (compare local mode with the single process).
        var shardComputePerStep: Double
        /// Local mode: the CPUs each worker was bound to, or nil when the scheduler placed them.
        var workerCPUs: [[Int]]?
        /// Local mode: the largest worker's peak resident memory, read before the workers stop.
        var workerPeakResidentBytes = 0
    }

    func run() throws {
        try reportingErrors {
            let threads = self.threads > 0 ? self.threads : ProcessInfoCores.count
            let peak = peakSize > 0 ? SgemmPeak(threads: threads, size: peakSize) : nil
            let shape = KDStep.parseShape(input)!
            // Whole batches only (no validation split, a multiple of the batch): every measured step
            // has the same shapes, as in a long run, where a short last batch comes once an epoch.
            // Epochs as long as the round, up to 16384 images: as in a real run, nearly every step
            // has a next step in its epoch, whose tasks local mode sends ahead (UpcomingStep).
            let stepsPerEpoch = max(2, min(steps + warmup, 16384 / batch))
            let data = try BenchData(shape: shape, trainCount: batch * stepsPerEpoch, testCount: batch * 2, classes: 10)
            defer { data.remove() }
            var config = RunConfig()
            try config.set("data.source", text: "npy")
            try config.set("data.path", text: data.folder)
            try config.set("data.normalize", text: "false")
            try config.set("data.validation", text: "0")
            try config.set("model.spec", text: student)
            try config.set("train.batch_size", text: String(batch))
            try config.set("train.steps", text: String(steps + warmup))
            try config.set("train.shards", text: String(shards > 0 ? shards : threads))
            try config.set("optimizer.name", text: optimizer)
            let teacherPath = teacher == "none" ? nil : try KDStep.randomTeacher(teacher, inputShape: shape)
            defer { teacherPath.map { try? FileManager.default.removeItem(atPath: $0) } }
            if let teacherPath { try config.set("teacher.checkpoint", text: teacherPath) }
            let augmenting = try TrainingSetup(config: config, parallelism: threads)
            if !augment {
                try config.set("augment.width_shift", text: "0")
                try config.set("augment.height_shift", text: "0")
                try config.set("augment.horizontal_flip", text: "false")
            }
            let setup = try TrainingSetup(config: config, parallelism: threads)
            let workerCounts = parsedWorkerCounts ?? []
            // As in train: local mode's master lives in the shared parameters region, moved there
            // before anything binds to it (so the single-process rounds use that memory too). If it
            // cannot move, the server makes the region (or warns) and copies.
            let shared = sharedMemory && !workerCounts.isEmpty ? LocalWorkers.sharedMemoryFolder() : nil
            let sharedParameters = shared.flatMap { try? setup.moveStudentToSharedMemory(folder: $0.path) }
            let pool = LocalShardPool(executors: try (0..<threads).map { _ in try setup.makeExecutor() })
            // Alternate the single process and each local mode, round by round, so that a slow
            // spell of this shared machine falls on both sides of a ratio.
            var singles: [Measurement] = []
            var locals = [[Measurement]](repeating: [], count: workerCounts.count)
            for _ in 0..<rounds {
                singles.append(try measure(setup: setup, backend: pool, pool: pool))
                for (i, workers) in workerCounts.enumerated() {
                    locals[i].append(try measureLocal(setup: setup, workers: workers, pool: pool,
                                                      sharedMemory: shared.map { ($0, sharedParameters) }))
                }
            }
            let single = KDStep.median(singles)
            var teacherSeconds: Double?
            if setup.teacher != nil {
                let teacherBatch = try setup.train.prefix(batch)
                let started = MonotonicClock.now()
                for _ in 0..<steps { _ = pool.evaluate(teacherBatch, batchSize: (batch + threads - 1) / threads, teacher: true) }
                teacherSeconds = MonotonicClock.now() - started
            }
            var breakdown = StepBreakdown()
            breakdown.add(shardPhases: single.phases, steps: steps, threads: threads)
            let tasks = ShardPlan(batchSize: batch, shards: setup.shards).tasks(
                images: Array(setup.train.images[0..<(batch * setup.train.imageBytes)]), labels: Array(setup.train.labels[0..<batch]),
                height: shape[0], width: shape[1], channels: shape[2])
            let results = try pool.compute(step: 0, epoch: 0, parameterVersion: 0, parameters: setup.student, tasks: tasks)
            breakdown.measureCoordinatorPhases(setup: setup, augmenting: augmenting, results: results, repeats: steps,
                                                threads: threads)
            let local = workerCounts.enumerated().map { i, workers in
                LocalResult(workers: workers, result: KDStep.median(locals[i]),
                            ratios: zip(singles, locals[i]).map { $0.seconds / $1.seconds })
            }
            try report(setup: setup, threads: threads, peak: peak, single: single, teacherSeconds: teacherSeconds,
                   breakdown: breakdown, local: local)
        }
    }

    /// Local mode with one worker count over the rounds.
    struct LocalResult {
        var workers: Int
        /// The round with the median time.
        var result: Measurement
        /// Per round: its local-mode rate over the same round's single-process rate.
        var ratios: [Double]
        /// The median of ``ratios``.
        var ratio: Double { KDStep.median(ratios) }
    }

    /// The measurement with the median time (the faster middle one for an even count).
    static func median(_ measurements: [Measurement]) -> Measurement {
        measurements.sorted { $0.seconds < $1.seconds }[(measurements.count - 1) / 2]
    }

    /// The median (the mean of the two middle values for an even count).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
    }

    /// The machine's sgemm peak in this run: the better of OpenBLAS (the core it detected) and,
    /// where the CPU runs it, Distill's own kernel.
    struct SgemmPeak {
        var byKernel: [String: Double] = [:]

        init(threads: Int, size: Int) {
            byKernel["openblas \(BLAS.openBLASCore)"] = BLAS.measurePeakGFLOPS(threads: threads, size: size, kernel: .openBLAS)
            if BLAS.kernel == .distillAVX512 {
                byKernel[BLAS.Kernel.distillAVX512.rawValue] = BLAS.measurePeakGFLOPS(threads: threads, size: size, kernel: .distillAVX512)
            }
        }

        var best: Double { byKernel.values.max() ?? .nan }
        var description: String {
            byKernel.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.1f", $0.value))" }.joined(separator: ", ")
        }
    }

    /// Prints the table and the JSON line.
    private func report(setup: TrainingSetup, threads: Int, peak: SgemmPeak?, single: Measurement, teacherSeconds: Double?,
                        breakdown: StepBreakdown, local: [LocalResult]) throws {
        let flops = try FlopCount(setup: setup)
        let samplesPerSecond = Double(batch * steps) / single.seconds
        let gflops = flops.stepPerSample * samplesPerSecond / 1e9
        let stepSeconds = single.seconds / Double(steps)
        let residentBytes = ProcessCounters.peakResidentBytes ?? 0
        let teacherName = setup.teacher?.spec.name ?? "none"
        let teacherRate = teacherSeconds.map { Double(batch * steps) / $0 }
        print((setup.teacher == nil ? "Training step, student alone: " : "KD step: \(teacherName) → ") + "\(setup.studentSpec.name), input \(input), batch \(batch), \(setup.shards) shards, "
            + "\(threads) threads, \(optimizer), augmentation \(augment ? "on" : "off")"
            + (rounds > 1 ? ", median of \(rounds) alternated rounds" : ""))
        print("  step time                 \(String(format: "%8.1f", 1000 * stepSeconds)) ms")
        print("  samples/s                 \(String(format: "%8.1f", samplesPerSecond))")
        if let teacherRate { print("  teacher-only samples/s    \(String(format: "%8.1f", teacherRate))") }
        print("  GFLOP per sample          \(String(format: "%8.3f", flops.stepPerSample / 1e9)) (teacher fwd \(String(format: "%.3f", flops.teacherForward / 1e9)), student fwd+bwd \(String(format: "%.3f", flops.studentTraining / 1e9)); direct convolution)")
        print("  achieved GFLOP/s          \(String(format: "%8.1f", gflops))")
        print("  sgemm kernel              \(BLAS.kernelName)")
        if let peak {
            print("  sgemm peak GFLOP/s        \(String(format: "%8.1f", peak.best)) (\(threads) threads, \(peakSize)³; \(peak.description))")
            print("  fraction of peak          \(String(format: "%8.3f", gflops / peak.best))")
        }
        print("  coordinator overhead      \(String(format: "%8.3f", single.summaryOverhead)) of the step")
        print("  shard compute             \(String(format: "%8.1f", 1000 * single.shardComputePerStep)) ms per step (summed over shards)")
        print("  allocations per step      " + (single.allocationsPerStep.map { String(format: "%8.1f", $0) } ?? "       - (preload .build/bench/libmalloc_count.so to count)"))
        print("  peak RSS, this process    \(String(format: "%8.1f", Double(residentBytes) / 1e6)) MB (single-process trainer\(local.isEmpty ? "" : ", then coordinator"))")
        print("  step breakdown (ms per step; shard phases: executor time / threads):")
        for row in breakdown.rows {
            print("    " + row.name.padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: "%8.2f   %5.1f%%", 1000 * row.seconds, 100 * row.seconds / stepSeconds))
        }
        var json: [String: Any] = [
            "benchmark": "kd-step", "teacher": teacherName, "student": setup.studentSpec.name, "input": input,
            "batch": batch, "shards": setup.shards, "threads": threads, "steps": steps, "optimizer": optimizer, "augment": augment,
            "rounds": rounds,
            "samples_per_s": samplesPerSecond, "teacher_samples_per_s": teacherRate ?? NSNull(),
            "step_ms": 1000 * stepSeconds, "gflop_per_sample": flops.stepPerSample / 1e9,
            "achieved_gflops": gflops, "coordinator_overhead_fraction": single.summaryOverhead,
            "shard_compute_ms_per_step": 1000 * single.shardComputePerStep,
            "peak_rss_bytes": residentBytes,
            "breakdown_ms": Dictionary(uniqueKeysWithValues: breakdown.rows.map { ($0.key, 1000 * $0.seconds) }),
        ]
        json["sgemm_kernel"] = BLAS.kernelName
        if let peak {
            json["sgemm_gflops"] = peak.best
            json["sgemm_gflops_by_kernel"] = peak.byKernel
            json["fraction_of_peak"] = gflops / peak.best
        }
        if let allocations = single.allocationsPerStep { json["allocations_per_step"] = allocations }
        if !local.isEmpty {
            print("  local mode (worker processes, 1 BLAS thread each; more workers than cores is oversubscribed):")
            print("    workers   samples/s   vs single process   parallel efficiency   overhead   MB sent+received/step   allocations/step"
                + "   shard compute ms/step")
            var rows: [[String: Any]] = []
            for entry in local {
                let (workers, m) = (entry.workers, entry.result)
                let rate = Double(batch * steps) / m.seconds
                let oneWorker = local.first { $0.workers == 1 }.map { Double(batch * steps) / $0.result.seconds }
                let efficiency = oneWorker.map { rate / ($0 * Double(min(workers, threads))) }
                let efficiencyText = efficiency.map { String(format: "%19.3f", $0) } ?? String(repeating: " ", count: 18) + "-"
                print(String(format: "    %7d   %9.1f   %17.3f   ", workers, rate, entry.ratio) + efficiencyText
                    + String(format: "   %8.3f   %21.1f   ", m.summaryOverhead, (m.bytesPerStep ?? 0) / 1e6)
                    + (m.allocationsPerStep.map { String(format: "%16.1f", $0) } ?? "               -")
                    + String(format: "   %22.1f", 1000 * m.shardComputePerStep))
                var row: [String: Any] = ["workers": workers, "samples_per_s": rate, "ratio_to_single_process": entry.ratio,
                                          "ratio_per_round": entry.ratios,
                                          "coordinator_overhead_fraction": m.summaryOverhead, "bytes_per_step": m.bytesPerStep ?? 0,
                                          "shard_compute_ms_per_step": 1000 * m.shardComputePerStep,
                                          "worker_cpus": m.workerCPUs.map { $0.map(CPUBinding.list) } ?? []]
                if let allocations = m.allocationsPerStep { row["coordinator_allocations_per_step"] = allocations }
                rows.append(row)
                if rounds > 1 {
                    print("      \(workers) workers, ratio per round: " + entry.ratios.map { String(format: "%.3f", $0) }.joined(separator: ", "))
                }
                print("      \(workers) workers " + (m.workerCPUs.map(LocalWorkers.placement)
                    ?? (pinWorkers ? "placed by the scheduler (more workers than CPUs, or one worker)" : "placed by the scheduler (--no-pin-workers)")))
            }
            let workerBytes = local.map(\.result.workerPeakResidentBytes).max() ?? 0
            print("    peak RSS of the largest worker \(String(format: "%.1f", Double(workerBytes) / 1e6)) MB")
            json["local_mode"] = rows
            json["worker_peak_rss_bytes"] = workerBytes
        }
        if let data = try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]) {
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
        let phasesAtStart = pool.executors.map(\.phaseSeconds)
        let allocationsAtStart = ProcessCounters.allocations
        let started = MonotonicClock.now()
        let costAtStart = backend.networkCost
        let shardSecondsAtStart = trainer.shardSeconds
        let computeAtStart = trainer.shardComputeSeconds
        for i in warmup..<(warmup + steps) { try trainer.trainStep(i) }
        let seconds = MonotonicClock.now() - started
        let allocations = ProcessCounters.allocations.map { Double($0 - allocationsAtStart!) / Double(steps) }
        let phases = zip(pool.executors, phasesAtStart).reduce(ShardPhaseSeconds()) { $0 + $1.0.phaseSeconds.since($1.1) }
        let cost = backend.networkCost.map { c in
            (bytes: Double(c.bytesSent + c.bytesReceived - (costAtStart?.bytesSent ?? 0) - (costAtStart?.bytesReceived ?? 0)) / Double(steps),
             serialization: c.serializationSeconds - (costAtStart?.serializationSeconds ?? 0))
        }
        let overhead = (seconds - (trainer.shardSeconds - shardSecondsAtStart) + (cost?.serialization ?? 0)) / seconds
        return Measurement(seconds: seconds, summaryOverhead: overhead, bytesPerStep: cost?.bytes,
                           allocationsPerStep: allocations, phases: phases,
                           shardComputePerStep: (trainer.shardComputeSeconds - computeAtStart) / Double(steps))
    }

    /// Measures local mode with `workers` worker processes, handing parameters and gradients
    /// over in `sharedMemory`'s folder when given (the master lives in its parameters region).
    private func measureLocal(setup: TrainingSetup, workers: Int, pool: LocalShardPool,
                              sharedMemory: (folder: PrivateFolder, parameters: SharedMemoryRegion?)?) throws -> Measurement {
        var options = CoordinatorServer.Options()
        options.minWorkers = workers
        let probe = try Network(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes)
        let folder = try PrivateFolder()
        options.sharedMemoryFolder = sharedMemory?.folder.path
        options.sharedParameters = sharedMemory?.parameters
        let server = try CoordinatorServer(
            transport: try Transport(security: .insecure), endpoint: folder.endpoint(),
            run: RunDescription(setup: setup, runID: UInt64.random(in: 1...UInt64.max)), teacher: setup.teacher?.parameters,
            shape: ResultShape(network: probe), options: options, stop: StopFlag())
        server.report = { _ in }
        let processes = try LocalWorkers(count: workers, endpoint: server.endpoint,
                                         arguments: sharedMemory.map { ["--shared-memory", $0.folder.path] } ?? [], bindToCPUs: pinWorkers)
        defer { server.shutdown(reason: "benchmark finished"); processes.stop(); withExtendedLifetime(folder) {} }
        var measurement = try measure(setup: setup, backend: server, pool: pool)
        measurement.workerCPUs = processes.cpus
        measurement.workerPeakResidentBytes = processes.processIdentifiers
            .compactMap { ProcessCounters.peakResidentBytes(of: String($0)) }.max() ?? 0
        return measurement
    }

    /// Writes a randomly initialised teacher model file for the benchmark and returns its path.
    static func randomTeacher(_ name: String, inputShape: [Int]) throws -> String {
        let spec = try ModelSpec.load(name)
        let network = try Network(spec: spec, inputShape: inputShape, classes: 10)
        let parameters = ModelParameters(layout: network.layout)
        parameters.initialize(seed: 99)
        let path = NSTemporaryDirectory() + "/distill-bench-teacher-\(getpid()).safetensors"
        try ModelFile(spec: spec, inputShape: inputShape, classes: 10,
                      normalization: Normalization.unit(channels: inputShape[2]), role: "teacher", parameters: parameters).write(to: path)
        return path
    }
}
