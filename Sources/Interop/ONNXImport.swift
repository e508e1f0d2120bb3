import Core
import Foundation
import ONNXProto
import SwiftProtobuf

/// `import --format onnx`: a sequential ONNX graph of supported operators (see docs/INTEROP.md)
/// as a ``PortableModel``. Each node must read the previous node's output (or the graph input)
/// and constants; a leading chain of `Sub`, `Div`, `Mul` and `Add` by per-channel constants is
/// the input normalisation; a `MatMul` followed by an `Add` of a constant is one linear layer.
public enum ONNXImport {
    /// Most bytes of an ONNX file (protobuf's own limit).
    static let maxFileBytes = Int(Int32.max)

    /// Reads the model in `path`.
    /// - Parameters:
    ///   - preprocessing: what the graph's caller does to pixel values before the graph, as
    ///     `(x/255 − mean)/std`; the default, mean 0 and std 1/255, is raw pixel values 0…255.
    ///   - inputShape: `[C, H, W]` when the graph's input has symbolic sizes.
    /// - Throws: ``InteropError`` naming the node, operator and attribute for everything not imported,
    ///   `IOError` when the file cannot be read.
    public static func read(_ path: String, preprocessing: Normalization? = nil, inputShape: [Int]? = nil) throws -> PortableModel {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maxFileBytes else { throw InteropError.badFile(file: path, detail: "\(size) bytes, more than the \(maxFileBytes) ONNX allows") }
        let bytes = try AtomicFile.read(path)
        let model: Onnx_ModelProto
        do { model = try Onnx_ModelProto(serializedBytes: bytes) } catch {
            throw InteropError.badFile(file: path, detail: "not an ONNX model (protobuf: \(error))")
        }
        guard model.hasGraph else { throw InteropError.badFile(file: path, detail: "the model has no graph") }
        guard let opset = model.opsetImport.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" })?.version, opset >= 7 else {
            throw InteropError.badFile(file: path, detail: "no default-domain opset ≥ 7 is imported")
        }
        return try GraphReader(graph: model.graph, file: path, preprocessing: preprocessing, inputShape: inputShape).model()
    }
}

/// Walks one graph's nodes in order, building a ``PortableModel``.
private struct GraphReader {
    let graph: Onnx_GraphProto
    let file: String
    let preprocessing: Normalization?
    let inputShape: [Int]
    let input: String
    let constants: [String: PortableTensor]

    init(graph: Onnx_GraphProto, file: String, preprocessing: Normalization?, inputShape override: [Int]?) throws {
        self.graph = graph
        self.file = file
        self.preprocessing = preprocessing
        var constants: [String: PortableTensor] = [:]
        for t in graph.initializer { constants[t.name] = try PortableTensor(onnx: t, file: file) }
        for node in graph.node where node.opType == "Constant" {
            guard node.output.count == 1, node.attribute.count == 1, node.attribute[0].name == "value", node.attribute[0].hasT else {
                throw InteropError.badNode(file: file, node: node.name, op: node.opType, detail: "only a Constant with one float32 tensor 'value' is supported")
            }
            constants[node.output[0]] = try PortableTensor(onnx: node.attribute[0].t, file: file)
        }
        self.constants = constants
        let inputs = graph.input.filter { constants[$0.name] == nil }
        guard inputs.count == 1 else {
            throw InteropError.badFile(file: file, detail: "the graph has \(inputs.count) inputs besides its weights (\(inputs.map(\.name))), expected one image input")
        }
        guard graph.output.count == 1 else { throw InteropError.badFile(file: file, detail: "the graph has \(graph.output.count) outputs, expected one (the logits)") }
        input = inputs[0].name
        let type = inputs[0].type.tensorType
        guard type.elemType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            throw InteropError.badFile(file: file, detail: "input '\(input)' has element type \(type.elemType), expected float32 (1)")
        }
        let dims = type.shape.dim.dropFirst().map { d -> Int? in
            if case let .dimValue(v)? = d.value, (1...Int64(PortableModel.maxSide)).contains(v) { return Int(v) }
            return nil
        }
        if let override {
            inputShape = override
        } else if type.shape.dim.count == 4, case let known = dims.compactMap({ $0 }), known.count == 3 {
            inputShape = known
        } else {
            throw InteropError.badFile(file: file, detail: "input '\(input)' is not [N, C, H, W] with fixed C, H, W in 1…\(PortableModel.maxSide): pass --input-shape C,H,W")
        }
    }

    func model() throws -> PortableModel {
        var layers: [PortableLayer] = []
        var current = input
        // Per-channel affine map of the leading normalisation: x · scale + shift.
        let channels = inputShape[0]
        var scale = [Float](repeating: 1, count: channels)
        var shift = [Float](repeating: 0, count: channels)
        // Spatial size [H, W] of the current activations (auto_pad needs it), nil once flat.
        var spatial: [Int]? = [inputShape[1], inputShape[2]]
        for proto in graph.node where proto.opType != "Constant" {
            let node = ONNXNode(proto: proto, file: file, constants: constants)
            guard proto.domain.isEmpty || proto.domain == "ai.onnx" else {
                throw InteropError.unsupportedOperator(file: file, node: node.name, op: "\(proto.domain).\(proto.opType)")
            }
            guard ONNXOperator.supported.contains(proto.opType) else {
                throw InteropError.unsupportedOperator(file: file, node: node.name, op: proto.opType)
            }
            guard proto.input.first == current else {
                throw node.fail("reads '\(proto.input.first ?? "")' instead of the previous node's output '\(current)': only sequential graphs are imported")
            }
            var layer: PortableLayer?
            switch proto.opType {
            case "Sub", "Div", "Mul", "Add":
                try node.requireArity(2...2)
                let c = try node.requiredConstant(1, "constant operand")
                if proto.opType == "Add", case let .linear(weight, nil)? = layers.last {
                    let units = weight.shape[0]
                    guard c.values.count == units, c.shape.filter({ $0 != 1 }).count <= 1 else {
                        throw node.fail("bias of shape \(c.shape) after a MatMul with \(units) outputs, expected [\(units)]")
                    }
                    layers[layers.count - 1] = .linear(weight: weight, bias: PortableTensor(shape: [units], values: c.values))
                    break
                }
                guard layers.isEmpty else {
                    throw node.fail("\(proto.opType) is imported only as the input normalisation before the first layer or as a MatMul's bias")
                }
                let perChannel = try channelValues(c, node: node)
                for k in 0..<channels {
                    switch proto.opType {
                    case "Sub": shift[k] -= perChannel[k]
                    case "Add": shift[k] += perChannel[k]
                    case "Mul": scale[k] *= perChannel[k]; shift[k] *= perChannel[k]
                    default:
                        guard perChannel[k] != 0 else { throw node.fail("divides channel \(k) by 0") }
                        scale[k] /= perChannel[k]; shift[k] /= perChannel[k]
                    }
                }
            case "Conv":
                try node.allowOnly(["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"])
                try node.requireArity(2...3)
                guard try node.int("group", default: 1) == 1 else { throw node.fail("group \(try node.int("group", default: 1)): only 1 is supported") }
                let weight = try node.requiredConstant(1, "weight")
                guard weight.shape.count == 4, weight.shape[2] == weight.shape[3], let spatial else {
                    throw node.fail("weight shape \(weight.shape), expected [out, in, k, k] on an image")
                }
                let window = try node.window(kernel: weight.shape[2], input: spatial + [1])
                guard window.kernel == weight.shape[2] else { throw node.fail("kernel_shape \(window.kernel) does not match the weight \(weight.shape)") }
                layer = .conv(window: window, weight: weight, bias: try node.constant(2))
            case "BatchNormalization":
                try node.allowOnly(["epsilon", "momentum", "training_mode", "spatial"])
                try node.requireArity(5...5)
                guard try node.int("training_mode", default: 0) == 0, try node.int("spatial", default: 1) == 1 else {
                    throw node.fail("only inference mode (training_mode 0, spatial 1) is supported")
                }
                layer = .batchNorm(spatial: spatial != nil, epsilon: try node.float("epsilon", default: 1e-5),
                                   momentum: try node.float("momentum", default: 0.9),
                                   weight: try node.requiredConstant(1, "scale"), bias: try node.requiredConstant(2, "bias"),
                                   runningMean: try node.requiredConstant(3, "mean"), runningVar: try node.requiredConstant(4, "variance"))
            case "Relu":
                try node.allowOnly([]); try node.requireArity(1...1)
                layer = .relu
            case "LeakyRelu":
                try node.allowOnly(["alpha"]); try node.requireArity(1...1)
                layer = .leakyReLU(alpha: try node.float("alpha", default: 0.01))
            case "MaxPool", "AveragePool":
                try node.allowOnly(["kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode", "storage_order", "count_include_pad"])
                try node.requireArity(1...1)
                guard let spatial else { throw node.fail("needs an image input") }
                guard try node.int("ceil_mode", default: 0) == 0 else { throw node.fail("ceil_mode 1 is not supported") }
                let window = try node.window(kernel: nil, input: spatial + [1])
                if proto.opType == "MaxPool" {
                    layer = .maxPool(window)
                } else {
                    let includesPadding = try node.int("count_include_pad", default: 0) != 0
                    guard window.pads == .zero || !includesPadding else {
                        throw node.fail("count_include_pad 1 with padding is not supported (Distill averages the input pixels only)")
                    }
                    layer = .avgPool(window)
                }
            case "GlobalAveragePool":
                try node.allowOnly([]); try node.requireArity(1...1)
                layer = .globalAvgPool
            case "Flatten":
                try node.allowOnly(["axis"]); try node.requireArity(1...1)
                guard try node.int("axis", default: 1) == 1 else { throw node.fail("axis \(try node.int("axis", default: 1)): only 1 is supported") }
                // A flatten after a global average pool ([N, C, 1, 1] in ONNX) changes nothing.
                if case .globalAvgPool? = layers.last { break }
                layer = .flatten
            case "Gemm":
                try node.allowOnly(["alpha", "beta", "transA", "transB"])
                try node.requireArity(2...3)
                guard try node.int("transA", default: 0) == 0, try node.float("alpha", default: 1) == 1, try node.float("beta", default: 1) == 1 else {
                    throw node.fail("only transA 0, alpha 1 and beta 1 are supported")
                }
                let b = try node.requiredConstant(1, "weight")
                guard b.shape.count == 2 else { throw node.fail("weight shape \(b.shape), expected 2 dimensions") }
                let weight = try node.int("transB", default: 0) == 1 ? b : transposed(b)
                var bias = try node.constant(2)
                if let c = bias {
                    guard c.values.count == weight.shape[0], c.shape.filter({ $0 != 1 }).count <= 1 else {
                        throw node.fail("bias shape \(c.shape), expected [\(weight.shape[0])]")
                    }
                    bias = PortableTensor(shape: [c.values.count], values: c.values)
                }
                layer = .linear(weight: weight, bias: bias)
            case "MatMul":
                try node.allowOnly([]); try node.requireArity(2...2)
                let b = try node.requiredConstant(1, "weight")
                guard b.shape.count == 2 else { throw node.fail("weight shape \(b.shape), expected [in, out]") }
                layer = .linear(weight: transposed(b), bias: nil)
            case "Dropout":
                try node.allowOnly(["ratio", "seed"]); try node.requireArity(1...2)
                var rate = try node.float("ratio", default: 0.5)
                if let r = try node.constant(1) {
                    guard r.values.count == 1 else { throw node.fail("ratio has shape \(r.shape), expected a scalar") }
                    rate = r.values[0]
                }
                if proto.output.count == 2, !proto.output[1].isEmpty, graph.node.contains(where: { $0.input.contains(proto.output[1]) }) {
                    throw node.fail("its mask output is used")
                }
                layer = .dropout(rate: rate)
            default:  // Identity
                try node.requireArity(1...1)
            }
            if let layer {
                layers.append(layer)
                switch layer {
                case let .conv(window, _, _), let .maxPool(window), let .avgPool(window):
                    if let s = spatial {
                        spatial = [(s[0] + window.pads.top + window.pads.bottom - window.kernel) / window.stride + 1,
                                   (s[1] + window.pads.left + window.pads.right - window.kernel) / window.stride + 1]
                    }
                case .globalAvgPool, .flatten, .linear: spatial = nil
                default: break
                }
            }
            current = proto.output[0]
        }
        guard current == graph.output[0].name else {
            throw InteropError.badFile(file: file, detail: "the last node writes '\(current)', the graph's output is '\(graph.output[0].name)'")
        }
        guard case let .linear(weight, _)? = layers.last else {
            throw InteropError.badFile(file: file, detail: "the graph does not end with a Gemm or MatMul layer (the logits)")
        }
        return PortableModel(name: graph.name.isEmpty ? "onnx" : graph.name, inputShape: inputShape, classes: weight.shape[0],
                             normalization: try normalization(scale: scale, shift: shift), layers: layers)
    }

    /// The per-channel values of a normalisation constant: one value (any shape of one
    /// element) for every channel, or `[1, C, 1, 1]` / `[C, 1, 1]`.
    private func channelValues(_ c: PortableTensor, node: ONNXNode) throws -> [Float] {
        let channels = inputShape[0]
        if c.values.count == 1 { return [Float](repeating: c.values[0], count: channels) }
        guard c.values.count == channels, c.shape == [1, channels, 1, 1] || c.shape == [channels, 1, 1] else {
            throw node.fail("constant of shape \(c.shape): expected one value or [1, \(channels), 1, 1] per channel")
        }
        guard c.values.allSatisfy(\.isFinite) else { throw node.fail("constant holds a non-finite value") }
        return c.values
    }

    /// Distill's normalisation `(x/255 − mean)/std` equal to the graph's leading `x · scale + shift`
    /// applied after the caller's `preprocessing` (raw pixel values by default).
    private func normalization(scale: [Float], shift: [Float]) throws -> Normalization {
        let channels = inputShape[0]
        let before = preprocessing ?? Normalization(mean: [Float](repeating: 0, count: channels),
                                                    std: [Float](repeating: 1 / 255, count: channels))
        try before.validate(channels: channels, source: "\(file): input preprocessing")
        var mean = [Float](repeating: 0, count: channels)
        var std = [Float](repeating: 1, count: channels)
        for k in 0..<channels {
            // net = scale·(u − m)/s + shift with u = x/255, so std = s/scale and mean = m − shift·s/scale.
            guard scale[k] > 0, scale[k].isFinite, shift[k].isFinite else {
                throw InteropError.badFile(file: file, detail: "the input normalisation of channel \(k) is x·\(scale[k]) + \(shift[k]); the factor must be finite and > 0")
            }
            std[k] = before.std[k] / scale[k]
            mean[k] = before.mean[k] - shift[k] * std[k]
        }
        let result = Normalization(mean: mean, std: std)
        try result.validate(channels: channels, source: "\(file): input normalisation")
        return result
    }

    /// `[in, out]` as `[out, in]`.
    private func transposed(_ t: PortableTensor) -> PortableTensor {
        let (rows, columns) = (t.shape[0], t.shape[1])
        var values = [Float](repeating: 0, count: t.values.count)
        for r in 0..<rows { for c in 0..<columns { values[c * rows + r] = t.values[r * columns + c] } }
        return PortableTensor(shape: [columns, rows], values: values)
    }
}
