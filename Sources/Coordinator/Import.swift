import ArgumentParser
import Core
import Foundation
import Interop

/// `distill-coordinator import`: a model trained elsewhere (PyTorch safetensors or ONNX) as a
/// Distill teacher run folder, usable with `teacher.checkpoint`.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a PyTorch (safetensors) or ONNX model as a Distill teacher.",
        discussion: """
            Writes RUN/teacher.safetensors and RUN/teacher.yaml; distil from it with --set teacher.checkpoint=RUN. \
            pytorch: a state dict saved with safetensors, mapped by layer order onto --spec (not needed for files \
            written by export). onnx: a sequential graph of Conv, BatchNormalization, Relu, LeakyRelu, MaxPool, \
            AveragePool, GlobalAveragePool, Flatten, Gemm or MatMul+Add, Dropout, after an optional normalisation \
            (Sub/Div/Mul/Add by constants). See docs/INTEROP.md.

            Examples:
              distill-coordinator import --from teacher.onnx --format onnx --out runs/imported
            """)

    @Option(help: ArgumentHelp("The model file: .safetensors (pytorch) or .onnx.", valueName: "file"))
    var from: String

    @Option(help: "The file format.")
    var format: InteropFormat

    @Option(help: ArgumentHelp("The run folder to write (created if missing).", valueName: "run"))
    var out: String

    @Option(help: "pytorch: the layers the state dict fills, a preset name or a spec file (default: the spec in the file's metadata).")
    var spec: String?

    @Option(help: ArgumentHelp("The input shape, when the file does not say (pytorch without metadata, ONNX with symbolic sizes).", valueName: "C,H,W"))
    var inputShape: String?

    @Option(help: ArgumentHelp("Per-channel mean of x/255 that the model's caller subtracts before the model (with --std).", valueName: "m1,m2,..."))
    var mean: String?

    @Option(help: ArgumentHelp("Per-channel standard deviation of x/255 that the caller divides by (with --mean). Default: onnx takes raw pixels 0-255; pytorch takes the file's metadata, else x/255.", valueName: "s1,s2,..."))
    var std: String?

    func validate() throws {
        if (mean == nil) != (std == nil) { throw ValidationError("give --mean and --std together, e.g. --mean 0.5,0.5,0.5 --std 0.25,0.25,0.25") }
        if spec != nil, format == .onnx { throw ValidationError("--spec is for --format pytorch: an ONNX graph names its own layers") }
    }

    func run() throws {
        try reportingErrors {
            let shape = try inputShape.map { try CommaList.ints($0, option: "--input-shape", count: 3) }
            let preprocessing = try mean.map { Normalization(mean: try CommaList.floats($0, option: "--mean"),
                                                             std: try CommaList.floats(std ?? "", option: "--std")) }
            let portable: PortableModel
            switch format {
            case .pytorch:
                portable = try PyTorchImport.read(from, spec: try spec.map { try ModelSpec.load($0) }, inputShape: shape, preprocessing: preprocessing)
            case .onnx:
                portable = try ONNXImport.read(from, preprocessing: preprocessing, inputShape: shape)
            }
            let file = try portable.modelFile(role: "teacher", source: from)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try file.write(to: out + "/teacher.safetensors")
            try AtomicFile.write(Array(file.spec.yaml().utf8), to: out + "/teacher.yaml")
            print("wrote \(out)/teacher.safetensors: \(file.spec.layers.count) layers, \(file.parameters.layout.parameterCount) parameters, "
                + "input \(file.inputShape) (H, W, C), \(file.classes) classes; distil from it with --set teacher.checkpoint=\(out)")
        }
    }
}
