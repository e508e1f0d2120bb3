import ArgumentParser

/// `distill-coordinator`: trains teachers and students, evaluates them and benchmarks the KD step.
@main
struct Coordinator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill-coordinator",
        abstract: "Distributed knowledge distillation for image classifiers.",
        subcommands: [Train.self, Evaluate.self, Compare.self, Bench.self, Keygen.self,
                      Export.self,
                      Import.self,
                      Predict.self])
}
