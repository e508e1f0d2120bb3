/// Why a model cannot be exported, imported or used for predictions; every case names the file
/// and the layer, node, array or field concerned.
public enum InteropError: Error, CustomStringConvertible, Equatable {
    /// A Distill layer that the target format cannot express (export).
    case unsupportedLayer(index: Int, type: String, format: String, detail: String)
    /// An ONNX node whose operator Distill does not import.
    case unsupportedOperator(file: String, node: String, op: String)
    /// An ONNX node whose attributes, inputs or place in the graph Distill cannot import.
    case badNode(file: String, node: String, op: String, detail: String)
    /// A layer of an imported model that does not fit (shapes, padding, options), by position.
    case badLayer(source: String, index: Int, kind: String, detail: String)
    /// A file that is malformed or does not describe a model Distill can use.
    case badFile(file: String, detail: String)

    public var description: String {
        switch self {
        case let .unsupportedLayer(index, type, format, detail):
            return "layer \(index) (\(type)) cannot be exported to \(format): \(detail)"
        case let .unsupportedOperator(file, node, op):
            return "\(file): node '\(node)' uses operator \(op), which Distill does not import "
                + "(supported: \(ONNXOperator.supported.joined(separator: ", ")))"
        case let .badNode(file, node, op, detail):
            return "\(file): node '\(node)' (\(op)): \(detail)"
        case let .badLayer(source, index, kind, detail):
            return "\(source): layer \(index) (\(kind)): \(detail)"
        case let .badFile(file, detail):
            return "\(file): \(detail)"
        }
    }
}

/// The ONNX operators Distill imports.
enum ONNXOperator {
    static let supported = ["Conv", "BatchNormalization", "Relu", "LeakyRelu", "MaxPool", "AveragePool", "GlobalAveragePool",
                            "Flatten", "Gemm", "MatMul", "Add", "Dropout", "Identity", "Sub", "Div", "Mul"]
}
