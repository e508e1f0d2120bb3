/// The `torch.nn.Sequential` that computes a ``PortableModel``: one Python constructor per module
/// and the module's state-dict arrays, named as PyTorch names them (`0.weight`, `1.running_var`).
///
/// Asymmetric padding (TensorFlow's `same` with an even total) becomes a padding module before the
/// convolution (`nn.ZeroPad2d`) or max pooling (`nn.ConstantPad2d` with −∞); a global average
/// pool becomes `nn.AdaptiveAvgPool2d(1)` followed by `nn.Flatten()`.
struct TorchSequential {
    /// One module of the sequence.
    struct Module {
        /// Python source of the constructor, e.g. `nn.Conv2d(3, 16, 3, stride=1, padding=(1, 1), bias=True)`.
        let python: String
        /// State-dict arrays by attribute (`weight`, `bias`, `running_mean`, `running_var`).
        let tensors: [(name: String, tensor: PortableTensor)]
        /// True for BatchNorm, which also has `num_batches_tracked` (int64, a scalar).
        let tracksBatches: Bool
    }

    let modules: [Module]

    /// - Throws: ``InteropError/unsupportedLayer(index:type:format:detail:)`` for an average pool
    ///   padded unequally (PyTorch's `AvgPool2d` pads both sides alike).
    init(_ model: PortableModel) throws {
        var modules: [Module] = []
        func add(_ python: String, _ tensors: [(String, PortableTensor)] = [], tracksBatches: Bool = false) {
            modules.append(Module(python: python, tensors: tensors, tracksBatches: tracksBatches))
        }
        for (index, layer) in model.layers.enumerated() {
            switch layer {
            case let .conv(window, weight, bias):
                let padding = try TorchSequential.padding(window, index: index, kind: layer.kind, pad: "nn.ZeroPad2d", add)
                add("nn.Conv2d(\(weight.shape[1]), \(weight.shape[0]), \(window.kernel), stride=\(window.stride), "
                    + "padding=\(padding), bias=\(bias == nil ? "False" : "True"))",
                    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []))
            case let .batchNorm(spatial, epsilon, momentum, weight, bias, runningMean, runningVar):
                add("nn.BatchNorm\(spatial ? 2 : 1)d(\(weight.shape[0]), eps=\(pythonLiteral(epsilon)), momentum=\(pythonLiteral(1 - momentum)))",
                    [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVar)],
                    tracksBatches: true)
            case .relu:
                add("nn.ReLU()")
            case let .leakyReLU(alpha):
                add("nn.LeakyReLU(\(pythonLiteral(alpha)))")
            case let .maxPool(window):
                let padding = try TorchSequential.padding(window, index: index, kind: layer.kind, pad: "nn.ConstantPad2d", add)
                add("nn.MaxPool2d(\(window.kernel), stride=\(window.stride), padding=\(padding))")
            case let .avgPool(window):
                guard window.pads.isSymmetric, 2 * max(window.pads.top, window.pads.left) <= window.kernel else {
                    throw InteropError.unsupportedLayer(
                        index: index, type: "avgpool2d", format: "pytorch",
                        detail: "pads \(window.pads.onnx) are unequal, and PyTorch's AvgPool2d pads both sides alike (export to onnx instead)")
                }
                add("nn.AvgPool2d(\(window.kernel), stride=\(window.stride), padding=(\(window.pads.top), \(window.pads.left)), count_include_pad=False)")
            case .globalAvgPool:
                add("nn.AdaptiveAvgPool2d(1)")
                add("nn.Flatten()")
            case .flatten:
                add("nn.Flatten()")
            case let .linear(weight, bias):
                add("nn.Linear(\(weight.shape[1]), \(weight.shape[0]), bias=\(bias == nil ? "False" : "True"))",
                    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []))
            case let .dropout(rate):
                add("nn.Dropout(\(pythonLiteral(rate)))")
            }
        }
        self.modules = modules
    }

    /// The `padding=` argument of a window module, adding a padding module before it (`pad`,
    /// zeros for a convolution, −∞ for max pooling) when the window is padded unequally or by
    /// more than PyTorch allows (half the kernel).
    private static func padding(_ window: PortableWindow, index: Int, kind: String, pad: String,
                                _ add: (String, [(String, PortableTensor)], Bool) -> Void) throws -> String {
        let p = window.pads
        if p.isSymmetric, 2 * max(p.top, p.left) <= window.kernel { return "(\(p.top), \(p.left))" }
        let sides = "(\(p.left), \(p.right), \(p.top), \(p.bottom))"
        add(pad == "nn.ZeroPad2d" ? "nn.ZeroPad2d(\(sides))" : "nn.ConstantPad2d(\(sides), float(\"-inf\"))", [], false)
        return "(0, 0)"
    }

    /// The state dict: every array as `<module index>.<name>` in module order, and each
    /// BatchNorm's `num_batches_tracked` (0: Distill does not count batches).
    var stateDict: (floats: [(name: String, shape: [Int], values: [Float])], integers: [(name: String, shape: [Int], values: [Int64])]) {
        var floats: [(name: String, shape: [Int], values: [Float])] = []
        var integers: [(name: String, shape: [Int], values: [Int64])] = []
        for (i, module) in modules.enumerated() {
            for (name, t) in module.tensors { floats.append(("\(i).\(name)", t.shape, t.values)) }
            if module.tracksBatches { integers.append(("\(i).num_batches_tracked", [], [0])) }
        }
        return (floats, integers)
    }
}

/// `value` as a Python float literal that reads back as exactly this float32.
func pythonLiteral(_ value: Float) -> String {
    value.isFinite ? "\(Double(value))" : (value.isNaN ? "float(\"nan\")" : (value > 0 ? "float(\"inf\")" : "float(\"-inf\")"))
}
