import ArgumentParser
import Core
import Foundation

/// `distill-coordinator evaluate`: test accuracy, per-class accuracy and confusion matrix of a trained model.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a trained model on the test split of a data set.",
        discussion: """
            The data comes from the run folder's config.yaml when --model is a run folder, else from the defaults; \
            --config replaces it and --set overrides single keys. Prints the test accuracy, the accuracy of each class, \
            the confusion matrix and, last, the report as one JSON object (test_accuracy, test_loss, count, \
            per_class_accuracy, confusion_matrix, ...), which --json also writes to a file.

            Examples:
              distill-coordinator evaluate --model runs/student --json report.json
              distill-coordinator evaluate --model fm.safetensors --config fm.yaml
            """)

    @OptionGroup var trained: ModelOptions
    @OptionGroup var configuration: ConfigOptions
    @OptionGroup var compute: ThreadOptions

    @Option(help: ArgumentHelp("Also write the report as JSON to this file.", valueName: "file"))
    var json: String?

    func run() throws {
        try reportingErrors {
            let runConfiguration = trained.runConfiguration
            let runConfig = try configuration.load(fallback: runConfiguration)
            let path = try ModelFile.resolve(trained.model)
            let file = try ModelFile.read(path)
            let (_, test) = try DataSource.load(runConfig)
            let origin = configuration.config.map { "--config \($0)" } ?? runConfiguration ?? "the defaults"
            let data = "data.source=\(runConfig.string("data.source")) from \(origin)" + (configuration.overrides.isEmpty ? "" : " and --set")
            let dataShape = [test.height, test.width, test.channels]
            let label = test.labels.max().map(Int.init) ?? 0
            if dataShape != file.inputShape || label >= file.classes {
                let has = dataShape != file.inputShape ? "\(dataShape) images" : "labels up to \(label)"
                throw ValidationError("the model \(path) expects \(file.inputShape) images and \(file.classes) classes, "
                    + "but the data (\(data)) has \(has): pass the model's run folder (--model RUNDIR reads RUNDIR/config.yaml) "
                    + "or the configuration it was trained with (--config FILE)")
            }
            let pool = LocalShardPool(executors: try (0..<compute.count).map { _ in
                try ShardExecutor(studentSpec: file.spec, studentParameters: file.parameters, teacher: nil,
                                  inputShape: file.inputShape, classes: file.classes, objective: .plain,
                                  normalization: file.normalization, seed: 0)
            })
            let e = pool.evaluate(test, batchSize: runConfig.int("eval.batch_size"))
            let report = EvaluationReport(model: file.spec.name, modelFile: path, data: data, evaluation: e)
            print("\(file.spec.name): test accuracy \(String(format: "%.2f%%", 100 * e.accuracy)), loss \(String(format: "%.4f", e.loss)) on \(e.count) images (\(data))")
            print("\n" + report.perClassTable)
            print(e.confusion.table)
            if let json {
                try AtomicFile.write(Array(try RunRecordJSON.encoder(pretty: true).encode(report)) + [10], to: json)
                print("wrote \(json)")
            }
            print(try RunRecordJSON.line(report))
        }
    }
}
