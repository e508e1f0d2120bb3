import ArgumentParser
import Core

/// `distill-coordinator`: trains teachers and students, evaluates them and benchmarks the KD step.
@main
struct Coordinator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill-coordinator",
        abstract: "Distributed knowledge distillation for image classifiers.",
        discussion: """
            Examples:
              distill-coordinator train --out runs/teacher --set model.spec=vgg8-teacher
              distill-coordinator train --out runs/student --local-workers 2 \\
                  --set teacher.checkpoint=runs/teacher
              distill-coordinator evaluate --model runs/student
            """,
        version: DistillVersion.current,
        subcommands: [Train.self, Evaluate.self, Compare.self, Bench.self, Keygen.self,
                      Status.self,
                      Plot.self,
                      Export.self,
                      Import.self,
                      Predict.self])
}
