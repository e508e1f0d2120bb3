import ArgumentParser
import Core
import Foundation

/// `distill-coordinator bench`: speed measurements printed as a table and one JSON line.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark parts of Distill (release build recommended).",
        subcommands: [KDStep.self])
}

/// Benchmarks the full KD step: augmentation, teacher forward, student forward/backward on
/// micro-shards over threads, the ordered gradient reduction and the Adam update.
struct KDStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kd-step",
        abstract: "Samples per second of the KD training step, and its fraction of the sgemm peak.")

    @Option(help: "Teacher model (preset or spec file).") var teacher = "vgg8-teacher"
    @Option(help: "Student model (preset or spec file).") var student = "seed-student"
    @Option(help: "Global batch size.") var batch = 128
    @Option(help: "Micro-shards per batch (0: one per thread).") var shards = 0
    @Option(help: "Compute threads (0: one per core).") var threads = 0
    @Option(help: "Measured steps.") var steps = 10
    @Option(help: "Warm-up steps, not measured.") var warmup = 2

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
            try config.set("train.log_every", text: String(steps + warmup))
            try config.set("train.eval_every", text: "1000000")
            let teacherPath = try KDStep.randomTeacher(teacher, config: config)
            try config.set("teacher.checkpoint", text: teacherPath)
            let setup = try TrainingSetup(config: config, parallelism: threads)
            let pool = LocalShardPool(executors: try (0..<threads).map { _ in try setup.makeExecutor() })
            let scratch = NSTemporaryDirectory() + "/distill-bench-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: scratch); try? FileManager.default.removeItem(atPath: teacherPath) }
            let trainer = try Trainer(setup: setup, backend: pool, evaluator: pool, output: try RunOutput(directory: scratch))
            for i in 0..<warmup { try trainer.trainStep(i) }
            var started = MonotonicClock.now()
            for i in warmup..<(warmup + steps) { try trainer.trainStep(i) }
            let seconds = MonotonicClock.now() - started
            let teacherBatch = try setup.train.prefix(batch)
            started = MonotonicClock.now()
            for _ in 0..<steps { _ = pool.evaluate(teacherBatch, batchSize: (batch + threads - 1) / threads, teacher: true) }
            let teacherSeconds = MonotonicClock.now() - started
            let flops = try FlopCount(setup: setup)
            let samplesPerSecond = Double(batch * steps) / seconds
            let gflops = flops.stepPerSample * samplesPerSecond / 1e9
            print("KD step: \(setup.teacher!.spec.name) → \(setup.studentSpec.name), batch \(batch), \(setup.shards) shards, \(threads) threads")
            print("  step time                 \(String(format: "%8.1f", 1000 * seconds / Double(steps))) ms")
            print("  samples/s                 \(String(format: "%8.1f", samplesPerSecond))")
            print("  teacher-only samples/s    \(String(format: "%8.1f", Double(batch * steps) / teacherSeconds))")
            print("  GFLOP per sample          \(String(format: "%8.3f", flops.stepPerSample / 1e9)) (teacher fwd \(String(format: "%.3f", flops.teacherForward / 1e9)), student fwd+bwd \(String(format: "%.3f", flops.studentTraining / 1e9)))")
            print("  achieved GFLOP/s          \(String(format: "%8.1f", gflops))")
            print("  sgemm peak GFLOP/s        \(String(format: "%8.1f", peak)) (\(threads) threads, 2048³)")
            print("  fraction of peak          \(String(format: "%8.3f", gflops / peak))")
            let json: [String: Any] = [
                "benchmark": "kd-step", "teacher": setup.teacher!.spec.name, "student": setup.studentSpec.name,
                "batch": batch, "shards": setup.shards, "threads": threads, "steps": steps,
                "samples_per_s": samplesPerSecond, "teacher_samples_per_s": Double(batch * steps) / teacherSeconds,
                "step_ms": 1000 * seconds / Double(steps), "gflop_per_sample": flops.stepPerSample / 1e9,
                "achieved_gflops": gflops, "sgemm_gflops": peak, "fraction_of_peak": gflops / peak,
            ]
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
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
