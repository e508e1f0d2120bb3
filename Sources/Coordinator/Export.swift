import ArgumentParser
import Core
import Interop

/// `distill-coordinator export`: a trained model as PyTorch safetensors + Python, or as ONNX.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a trained model to PyTorch (safetensors + a Python file) or ONNX.",
        discussion: """
            pytorch: FILE is a safetensors state dict with PyTorch's names and layouts (0.weight, OIHW kernels, \
            running_var, num_batches_tracked) and FILE with the extension .py builds the matching torch.nn.Sequential \
            and loads it. onnx: FILE is an ONNX model (opset 13) with one input `images`, float32 [N, C, H, W] raw pixel \
            values 0-255 normalised inside the graph, and one output `logits` [N, classes]. See docs/INTEROP.md.

            Examples:
              distill-coordinator export --model runs/demo/distilled --format onnx \\
                  --out distilled.onnx
              distill-coordinator export --model runs/demo/distilled --format pytorch \\
                  --out distilled.safetensors
            """)

    @Option(help: "A run folder (its student.safetensors, else teacher.safetensors) or a .safetensors model file.")
    var model: String

    @Option(help: "The file format.")
    var format: InteropFormat

    @Option(help: ArgumentHelp("The file to write (pytorch: also FILE with the extension .py).", valueName: "file"))
    var out: String

    @Flag(help: "Export the teacher the run in --model distilled from (its config.yaml's teacher.checkpoint) instead of the run's own model.")
    var teacher = false

    func run() throws {
        try reportingErrors {
            let file = try ModelFile.read(try ModelFile.own(model, teacher: teacher))
            switch format {
            case .pytorch:
                let python = try PyTorchExport.write(file, to: out)
                print("wrote \(out) and \(python) (\(file.spec.name), input [N, \(file.inputShape[2]), \(file.inputShape[0]), \(file.inputShape[1])] raw pixels 0-255 through load())")
            case .onnx:
                try ONNXExport.write(file, to: out)
                print("wrote \(out) (\(file.spec.name), opset \(ONNXExport.opset): images [N, \(file.inputShape[2]), \(file.inputShape[0]), \(file.inputShape[1])] raw pixels 0-255 -> logits [N, \(file.classes)])")
            }
        }
    }
}
