import ArgumentParser
import Core
import Foundation

/// `distill-coordinator evaluate`: test accuracy of a trained model file.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a trained model on the test split of a data set.",
        discussion: "Prints a line for people and, last, one JSON object with test_accuracy, test_loss and count.")

    @Option(help: "A .safetensors model file, or a run folder holding teacher.safetensors or student.safetensors.")
    var model: String

    @Option(help: "Configuration naming the data set (data.* keys); default: the built-in data.")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one configuration key (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Compute threads (0: one per core).")
    var threads = 0

    func run() throws {
        try reportingErrors {
            let runConfig = try RunConfig.load(path: config, overrides: overrides)
            let file = try ModelFile.read(try ModelFile.resolve(model))
            let (_, test) = try DataSource.load(runConfig)
            guard [test.height, test.width, test.channels] == file.inputShape else {
                throw ValidationError("the model expects \(file.inputShape) images, the data set has [\(test.height), \(test.width), \(test.channels)]")
            }
            if let label = test.labels.first(where: { Int($0) >= file.classes }) {
                throw ValidationError("the model has \(file.classes) classes, the test split has label \(label)")
            }
            let threads = self.threads > 0 ? self.threads : ProcessInfoCores.count
            let pool = LocalShardPool(executors: try (0..<threads).map { _ in
                try ShardExecutor(studentSpec: file.spec, studentParameters: file.parameters, teacher: nil,
                                  inputShape: file.inputShape, classes: file.classes, objective: .plain,
                                  normalization: file.normalization, seed: 0)
            })
            let e = pool.evaluate(test, batchSize: runConfig.int("eval.batch_size"))
            print("\(file.spec.name): test accuracy \(String(format: "%.2f%%", 100 * e.accuracy)), loss \(String(format: "%.4f", e.loss)) on \(e.count) images")
            print(#"{"model":"\#(file.spec.name)","test_accuracy":\#(e.accuracy),"test_loss":\#(e.loss),"count":\#(e.count)}"#)
        }
    }
}
