import ArgumentParser
import Core
import Foundation
import Interop

/// `distill-coordinator predict`: the top classes and logits of a model for a file of images.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify the images of a .npy or IDX file with a trained model.",
        discussion: """
            Images: .npy of shape [N, H, W] or [N, H, W, C], uint8 or float32 (values in [0, 1] are scaled by 255), \
            or an IDX image file (raw or gzip). Prints the top classes of each image with their probabilities (class \
            names for the built-in data) and can write the logits as a float32 [N, classes] .npy.

            Examples:
              distill-coordinator predict --model runs/demo/distilled --input images.npy \\
                  --output logits.npy --top 3
            """)

    @Option(help: "A run folder (its student.safetensors, else teacher.safetensors) or a .safetensors model file.")
    var model: String

    @Option(help: ArgumentHelp("The images: a .npy file, or an IDX image file.", valueName: "file"))
    var input: String

    @Option(help: ArgumentHelp("Write the logits here as .npy (float32, [N, classes]).", valueName: "file"))
    var output: String?

    @Option(help: "Classes printed per image (0: none).")
    var top = 3

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be 0 or more") }
    }

    func run() throws {
        try reportingErrors {
            let path = try ModelFile.own(model, teacher: false)
            let file = try ModelFile.read(path)
            let (images, shape) = try Prediction.readImages(input)
            let prediction = try Prediction(file: file, images: images, shape: shape, source: input)
            let names = classNames(modelPath: path, classes: file.classes)
            for i in 0..<prediction.count where top > 0 {
                let ranked = prediction.top(top, of: i).map { "\(names?[$0.label] ?? String($0.label)) \(String(format: "%.3f", $0.probability))" }
                print("\(i): " + ranked.joined(separator: ", "))
            }
            if let output {
                try AtomicFile.write(prediction.npy, to: output)
                print("wrote \(output): logits [\(prediction.count), \(prediction.classes)]")
            }
        }
    }

    /// The built-in data's class names when the run beside the model trained on it, else nil.
    private func classNames(modelPath: String, classes: Int) -> [String]? {
        let folder = URL(fileURLWithPath: modelPath).deletingLastPathComponent().path
        guard let config = try? RunConfig.load(path: folder + "/config.yaml"), config.string("data.source") == "builtin",
              classes == SyntheticShapes.classNames.count else { return nil }
        return SyntheticShapes.classNames
    }
}
