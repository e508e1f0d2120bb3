import ArgumentParser
import Core

/// `distill-coordinator train`: one training run, single-process or with workers.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a teacher, or distil a student from a teacher checkpoint.",
        discussion: "Configuration keys are listed in docs/CONFIG.md; every key can be overridden with --set.")

    @Option(name: .long, help: "YAML configuration file (omit to use the defaults).")
    var config: String?

    @Option(name: .long, help: "Output folder: config.yaml, metrics.jsonl, summary.json and the weights.")
    var out: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one configuration key, e.g. --set train.steps=20 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    func validate() throws {
        if out.isEmpty { throw ValidationError("--out needs a folder, e.g. --out runs/teacher") }
    }

    func run() throws {
        try reportingErrors {
            let runConfig = try RunConfig.load(path: config, overrides: overrides)
            let threads = runConfig.int("train.threads") > 0 ? runConfig.int("train.threads") : ProcessInfoCores.count
            let setup = try TrainingSetup(config: runConfig, parallelism: threads)
            let pool = LocalShardPool(executors: try (0..<threads).map { _ in try setup.makeExecutor() })
            print("training \(setup.studentSpec.name) (\(setup.student.layout.parameterCount) parameters) on \(setup.train.count) images, "
                + "\(setup.totalSteps) steps of \(setup.batchSize) in \(setup.shards) shards on \(threads) threads"
                + (setup.teacher.map { ", distilled from \($0.spec.name) (T=\(setup.objective.temperature), λ=\(setup.objective.alpha))" } ?? ""))
            let trainer = try Trainer(setup: setup, backend: pool, evaluator: pool, output: try RunOutput(directory: out))
            let summary = try trainer.run()
            print("done: \(summary.steps) steps, test accuracy \(String(format: "%.2f%%", summary.testAccuracy * 100)), params_sha256 \(summary.paramsSHA256)")
            print("outputs in \(out)")
        }
    }
}
