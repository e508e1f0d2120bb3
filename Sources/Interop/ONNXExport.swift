import Core
import Foundation
import ONNXProto
import SwiftProtobuf

/// `export --format onnx`: a model as an ONNX `ModelProto` (opset 13). One input `images`,
/// float32 `[N, C, H, W]` of raw pixel values 0…255, normalised inside the graph (`Mul`, `Add`);
/// one output `logits`, float32 `[N, classes]`; BatchNorm as `BatchNormalization` in inference
/// mode. See docs/INTEROP.md.
public enum ONNXExport {
    /// The opset the exported graphs use.
    public static let opset: Int64 = 13
    /// The IR version that goes with it.
    static let irVersion: Int64 = 7

    /// Writes `file`'s model to `path` atomically.
    /// - Throws: ``InteropError`` for a layer ONNX export does not cover, `IOError`.
    public static func write(_ file: ModelFile, to path: String) throws {
        let proto = modelProto(try PortableModel(file, format: "onnx"))
        try AtomicFile.write(Array(try proto.serializedBytes() as [UInt8]), to: path)
    }

    /// The `ModelProto` of `model`.
    static func modelProto(_ model: PortableModel) -> Onnx_ModelProto {
        var graph = GraphBuilder(name: model.name)
        let channels = model.inputShape[0]
        var x = "images"
        x = graph.node("Mul", "normalize_scale", [x, graph.constant("input_scale", [1, channels, 1, 1], model.inputScale)])
        x = graph.node("Add", "normalize_shift", [x, graph.constant("input_shift", [1, channels, 1, 1], model.inputShift)])
        for (i, layer) in model.layers.enumerated() {
            let name = "layer\(i)_\(layer.kind)"
            func window(_ w: PortableWindow) -> [Onnx_AttributeProto] {
                [.ints("kernel_shape", [w.kernel, w.kernel]), .ints("strides", [w.stride, w.stride]), .ints("pads", w.pads.onnx)]
            }
            switch layer {
            case let .conv(w, weight, bias):
                let inputs = [x, graph.constant(name + ".weight", weight)] + (bias.map { [graph.constant(name + ".bias", $0)] } ?? [])
                x = graph.node("Conv", name, inputs, window(w) + [.ints("dilations", [1, 1]), .int("group", 1)])
            case let .batchNorm(_, epsilon, momentum, weight, bias, runningMean, runningVar):
                x = graph.node("BatchNormalization", name,
                               [x, graph.constant(name + ".weight", weight), graph.constant(name + ".bias", bias),
                                graph.constant(name + ".running_mean", runningMean), graph.constant(name + ".running_var", runningVar)],
                               [.float("epsilon", epsilon), .float("momentum", momentum)])
            case .relu:
                x = graph.node("Relu", name, [x])
            case let .leakyReLU(alpha):
                x = graph.node("LeakyRelu", name, [x], [.float("alpha", alpha)])
            case let .maxPool(w):
                x = graph.node("MaxPool", name, [x], window(w))
            case let .avgPool(w):
                x = graph.node("AveragePool", name, [x], window(w) + [.int("count_include_pad", 0)])
            case .globalAvgPool:
                x = graph.node("GlobalAveragePool", name, [x])
                x = graph.node("Flatten", name + "_flatten", [x], [.int("axis", 1)])
            case .flatten:
                x = graph.node("Flatten", name, [x], [.int("axis", 1)])
            case let .linear(weight, bias):
                let inputs = [x, graph.constant(name + ".weight", weight)] + (bias.map { [graph.constant(name + ".bias", $0)] } ?? [])
                x = graph.node("Gemm", name, inputs, [.int("transB", 1), .float("alpha", 1), .float("beta", 1)])
            case let .dropout(rate):
                x = graph.node("Dropout", name, [x, graph.constant(name + ".ratio", [], [rate])])
            }
        }
        graph.rename(x, to: "logits")
        var proto = Onnx_ModelProto()
        proto.irVersion = irVersion
        proto.producerName = "distill"
        proto.producerVersion = "1"
        proto.opsetImport = [Onnx_OperatorSetIdProto.with { $0.domain = ""; $0.version = opset }]
        proto.graph = graph.proto
        proto.graph.input = [valueInfo("images", [.dimParam("N")] + model.inputShape.map { .dimValue(Int64($0)) })]
        proto.graph.output = [valueInfo("logits", [.dimParam("N"), .dimValue(Int64(model.classes))])]
        return proto
    }

    /// A float32 tensor value description.
    private static func valueInfo(_ name: String, _ dims: [Onnx_TensorShapeProto.Dimension.OneOf_Value]) -> Onnx_ValueInfoProto {
        Onnx_ValueInfoProto.with {
            $0.name = name
            $0.type.tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            $0.type.tensorType.shape.dim = dims.map { d in Onnx_TensorShapeProto.Dimension.with { $0.value = d } }
        }
    }
}

/// Collects the nodes and initializers of a sequential graph.
private struct GraphBuilder {
    var proto = Onnx_GraphProto()

    init(name: String) { proto.name = name }

    /// Adds a node reading `inputs`; returns the name of its one output.
    mutating func node(_ op: String, _ name: String, _ inputs: [String], _ attributes: [Onnx_AttributeProto] = []) -> String {
        proto.node.append(Onnx_NodeProto.with {
            $0.opType = op
            $0.name = name
            $0.input = inputs
            $0.output = [name + "_out"]
            $0.attribute = attributes
        })
        return name + "_out"
    }

    /// Adds an initializer holding `tensor`; returns its name.
    mutating func constant(_ name: String, _ tensor: PortableTensor) -> String {
        constant(name, tensor.shape, tensor.values)
    }

    /// Adds a float32 initializer of `shape` (little-endian `raw_data`); returns its name.
    mutating func constant(_ name: String, _ shape: [Int], _ values: [Float]) -> String {
        proto.initializer.append(Onnx_TensorProto.with {
            $0.name = name
            $0.dims = shape.map(Int64.init)
            $0.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            $0.rawData = values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) }
        })
        return name
    }

    /// Renames the tensor `old` (the last node's output) to `new`.
    mutating func rename(_ old: String, to new: String) {
        for i in proto.node.indices {
            proto.node[i].output = proto.node[i].output.map { $0 == old ? new : $0 }
        }
    }
}

extension Onnx_AttributeProto {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        .with { $0.name = name; $0.type = .int; $0.i = Int64(value) }
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        .with { $0.name = name; $0.type = .ints; $0.ints = values.map(Int64.init) }
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        .with { $0.name = name; $0.type = .float; $0.f = value }
    }
}
