import Core
import Foundation
import ONNXProto

/// One node of an imported ONNX graph with checked access to its attributes and constant inputs;
/// every failure is an ``InteropError/badNode(file:node:op:detail:)`` naming the node.
struct ONNXNode {
    let proto: Onnx_NodeProto
    let file: String
    /// The graph's constants (initializers and `Constant` outputs) by name.
    let constants: [String: PortableTensor]

    var name: String { proto.name.isEmpty ? "#\(proto.output.first ?? "?")" : proto.name }
    var op: String { proto.opType }

    func fail(_ detail: String) -> InteropError { .badNode(file: file, node: name, op: op, detail: detail) }

    /// The attribute `name` of `type`, or nil when absent; one of another type is an error.
    private func attribute(_ name: String, _ type: Onnx_AttributeProto.AttributeType) throws -> Onnx_AttributeProto? {
        let found = proto.attribute.filter { $0.name == name }
        guard found.count <= 1 else { throw fail("attribute \(name) is given \(found.count) times") }
        guard let a = found.first else { return nil }
        guard a.type == type || (a.type == .undefined && type != .ints && type != .floats) else {
            throw fail("attribute \(name) has type \(a.type), expected \(type)")
        }
        return a
    }

    /// Integer attribute `name`, `defaultValue` when absent.
    func int(_ name: String, default defaultValue: Int64) throws -> Int64 {
        try attribute(name, .int)?.i ?? defaultValue
    }

    /// Float attribute `name`, `defaultValue` when absent; must be finite.
    func float(_ name: String, default defaultValue: Float) throws -> Float {
        let value = try attribute(name, .float)?.f ?? defaultValue
        guard value.isFinite else { throw fail("attribute \(name) = \(value), expected a finite number") }
        return value
    }

    /// Integer-list attribute `name`, nil when absent; must hold `count` values.
    func ints(_ name: String, count: Int) throws -> [Int64]? {
        guard let a = try attribute(name, .ints) else { return nil }
        guard a.ints.count == count else { throw fail("attribute \(name) = \(a.ints), expected \(count) values") }
        return a.ints
    }

    /// String attribute `name`, `defaultValue` when absent.
    func string(_ name: String, default defaultValue: String) throws -> String {
        guard let a = try attribute(name, .string) else { return defaultValue }
        return String(decoding: a.s, as: UTF8.self)
    }

    /// Refuses every attribute not in `known`.
    func allowOnly(_ known: Set<String>) throws {
        if let other = proto.attribute.first(where: { !known.contains($0.name) }) {
            throw fail("attribute \(other.name) is not supported (supported: \(known.sorted().joined(separator: ", ")))")
        }
    }

    /// Checks that the node has between `inputs.lowerBound` and `inputs.upperBound` inputs and exactly one output.
    func requireArity(_ inputs: ClosedRange<Int>) throws {
        let given = proto.input.count - proto.input.reversed().prefix { $0.isEmpty }.count
        guard inputs.contains(given) else { throw fail("has \(given) inputs, expected \(inputs.lowerBound)…\(inputs.upperBound)") }
        guard proto.output.count == 1 || (op == "Dropout" && proto.output.count == 2) else {
            throw fail("has \(proto.output.count) outputs, expected 1")
        }
    }

    /// The constant (initializer) feeding input `index`, nil when that input is empty or absent.
    func constant(_ index: Int) throws -> PortableTensor? {
        guard index < proto.input.count, !proto.input[index].isEmpty else { return nil }
        guard let t = constants[proto.input[index]] else {
            throw fail("input \(index) ('\(proto.input[index])') must be an initializer or constant")
        }
        return t
    }

    /// The constant feeding input `index`, which must be present.
    func requiredConstant(_ index: Int, _ what: String) throws -> PortableTensor {
        guard let t = try constant(index) else { throw fail("the \(what) (input \(index)) is missing") }
        return t
    }

    /// A window's geometry from `kernel_shape`, `strides`, `pads`, `dilations` and `auto_pad`:
    /// square, equal strides, dilation 1. `kernel` is the kernel side when the attribute is absent
    /// (a convolution's weight). `input` is the `[H, W]` the window slides over.
    func window(kernel fallback: Int?, input: [Int]) throws -> PortableWindow {
        let kernelShape = try ints("kernel_shape", count: 2) ?? fallback.map { [Int64($0), Int64($0)] }
        guard let kernelShape else { throw fail("attribute kernel_shape is missing") }
        let strides = try ints("strides", count: 2) ?? [1, 1]
        let dilations = try ints("dilations", count: 2) ?? [1, 1]
        guard kernelShape[0] == kernelShape[1], (1...Int64(PortableModel.maxSide)).contains(kernelShape[0]) else {
            throw fail("kernel_shape \(kernelShape): only square kernels of 1…\(PortableModel.maxSide) are supported")
        }
        guard strides[0] == strides[1], (1...Int64(PortableModel.maxSide)).contains(strides[0]) else {
            throw fail("strides \(strides): only equal strides of 1…\(PortableModel.maxSide) are supported")
        }
        guard dilations == [1, 1] else { throw fail("dilations \(dilations): only [1, 1] is supported") }
        let (k, s) = (Int(kernelShape[0]), Int(strides[0]))
        let pads: WindowPads
        switch try string("auto_pad", default: "NOTSET") {
        case "NOTSET":
            let p = try ints("pads", count: 4) ?? [0, 0, 0, 0]
            guard p.allSatisfy({ (0..<Int64(k)).contains($0) }) else { throw fail("pads \(p): each must lie in 0…kernel−1") }
            pads = WindowPads(top: Int(p[0]), left: Int(p[1]), bottom: Int(p[2]), right: Int(p[3]))
        case "VALID":
            pads = .zero
        case "SAME_UPPER":
            pads = WindowPads(tensorFlow: .same, input: input, kernel: k, stride: s)
        case let other:
            throw fail("auto_pad \(other): only NOTSET, VALID and SAME_UPPER are supported")
        }
        return PortableWindow(kernel: k, stride: s, pads: pads)
    }
}

extension PortableTensor {
    /// A float32 `TensorProto` (`raw_data` little-endian or `float_data`), its shape checked:
    /// sizes ≥ 0, at most `LayerFactory.maxElements` values, data matching the shape.
    init(onnx t: Onnx_TensorProto, file: String) throws {
        func fail(_ detail: String) -> InteropError { .badFile(file: file, detail: "tensor '\(t.name)': \(detail)") }
        guard t.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            throw fail("data type \(t.dataType), only float32 (1) is supported")
        }
        guard t.dataLocation != .external, t.externalData.isEmpty else { throw fail("external data is not supported") }
        guard !t.hasSegment else { throw fail("segmented tensors are not supported") }
        var count = 1
        for d in t.dims {
            guard d >= 0, d <= Int64(LayerFactory.maxElements) else { throw fail("dimension \(d) out of range") }
            let (p, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, p <= LayerFactory.maxElements else { throw fail("dims \(t.dims) hold more than \(LayerFactory.maxElements) values") }
            count = p
        }
        let values: [Float]
        if !t.rawData.isEmpty {
            guard t.rawData.count == 4 * count else { throw fail("raw_data holds \(t.rawData.count) bytes, dims \(t.dims) need \(4 * count)") }
            values = t.rawData.withUnsafeBytes { raw in
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
        } else {
            guard t.floatData.count == count else { throw fail("float_data holds \(t.floatData.count) values, dims \(t.dims) need \(count)") }
            values = t.floatData
        }
        self.init(shape: t.dims.map(Int.init), values: values)
    }
}
