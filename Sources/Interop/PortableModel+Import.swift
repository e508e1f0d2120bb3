import Core

extension PortableModel {
    /// Most pixels along one side of an imported model's input, and most channels of any layer.
    static let maxSide = 65_536

    /// The Distill model this portable model describes: spec, parameters in Distill's layouts
    /// (the inverse of ``init(_:format:)``), input shape `[H, W, C]`, classes and normalisation.
    /// Every array's shape is checked against the layer it belongs to, and window pads must be
    /// 0 (`valid`) or TensorFlow's `same` padding for the layer's input.
    /// - Parameter source: the file named in errors.
    /// - Throws: ``InteropError/badLayer(source:index:kind:detail:)``, ``InteropError/badFile(file:detail:)``,
    ///   `DataError.badNormalization`, ``ModelSpecError`` (a layer Distill's own checks refuse).
    public func modelFile(role: String, source: String) throws -> ModelFile {
        guard inputShape.count == 3, inputShape.allSatisfy({ (1...PortableModel.maxSide).contains($0) }),
              LayerFactory.elementCount(inputShape) != nil else {
            throw InteropError.badFile(file: source, detail: "input shape [C, H, W] = \(inputShape): expected three sizes in 1…\(PortableModel.maxSide)")
        }
        guard (1...PortableModel.maxSide).contains(classes) else {
            throw InteropError.badFile(file: source, detail: "\(classes) classes, expected 1…\(PortableModel.maxSide)")
        }
        let hwc = [inputShape[1], inputShape[2], inputShape[0]]
        try normalization.validate(channels: hwc[2], source: source)
        var specs: [LayerSpec] = []
        var arrays: [String: [Float]] = [:]
        // Distill's per-sample shape: [H, W, C] or [features]; and the image a flatten flattened.
        var shape = hwc
        var flattened: [Int]?
        for (index, layer) in layers.enumerated() {
            func fail(_ detail: String) -> InteropError {
                .badLayer(source: source, index: index, kind: layer.kind, detail: "\(detail) (input \(shape.count == 3 ? "[C, H, W] = \([shape[2], shape[0], shape[1]])" : "\(shape)"))")
            }
            func store(_ type: String, _ name: String, _ values: [Float]) { arrays["layer\(specs.count).\(type).\(name)"] = values }
            func requireImage() throws { guard shape.count == 3 else { throw fail("needs an image input") } }
            func padding(_ window: PortableWindow) throws -> Padding {
                guard window.kernel >= 1, window.stride >= 1, window.kernel <= PortableModel.maxSide, window.stride <= PortableModel.maxSide else {
                    throw fail("kernel \(window.kernel) and stride \(window.stride) must lie in 1…\(PortableModel.maxSide)")
                }
                if window.pads == .zero, shape[0] >= window.kernel, shape[1] >= window.kernel { return .valid }
                let same = WindowPads(tensorFlow: .same, input: shape, kernel: window.kernel, stride: window.stride)
                guard window.pads == same else {
                    throw fail("pads [top, left, bottom, right] = \(window.pads.onnx) are neither 0 with the window inside the input "
                        + "nor TensorFlow's same padding \(same.onnx); Distill supports only these two")
                }
                return .same
            }
            func output(_ window: PortableWindow, _ padding: Padding, channels: Int) -> [Int] {
                [padding.outputSize(input: shape[0], kernel: window.kernel, stride: window.stride),
                 padding.outputSize(input: shape[1], kernel: window.kernel, stride: window.stride), channels]
            }
            switch layer {
            case let .conv(window, weight, bias):
                try requireImage()
                let p = try padding(window)
                let (k, cin) = (window.kernel, shape[2])
                guard weight.shape.count == 4, weight.shape[1] == cin, weight.shape[2] == k, weight.shape[3] == k,
                      (1...PortableModel.maxSide).contains(weight.shape[0]),
                      let weightCount = LayerFactory.elementCount(weight.shape), weightCount == weight.values.count else {
                    throw fail("weight shape \(weight.shape), expected [out, \(cin), \(k), \(k)] with out in 1…\(PortableModel.maxSide)")
                }
                let cout = weight.shape[0]
                try PortableModel.check(bias, features: cout, name: "bias", fail)
                var hwio = [Float](repeating: 0, count: weightCount)
                for o in 0..<cout { for i in 0..<cin { for y in 0..<k { for x in 0..<k {
                    hwio[((y * k + x) * cin + i) * cout + o] = weight.values[((o * cin + i) * k + y) * k + x]
                } } } }
                store("conv2d", "kernel", hwio)
                if let bias { store("conv2d", "bias", bias.values) }
                specs.append(.conv2d(filters: cout, kernel: k, stride: window.stride, padding: p, bias: bias != nil))
                shape = output(window, p, channels: cout)
            case let .batchNorm(spatial, epsilon, momentum, weight, bias, runningMean, runningVar):
                guard spatial == (shape.count == 3) else { throw fail(spatial ? "per-channel statistics on flat features" : "per-feature statistics on an image") }
                let features = shape[shape.count - 1]
                let named = [("gamma", weight), ("beta", bias), ("running_mean", runningMean), ("running_variance", runningVar)]
                for (name, t) in named { try PortableModel.check(t, features: features, name: name, fail) }
                let order = flattened.map { FeatureOrder.distillIndices(image: $0) }
                for (name, t) in named {
                    var values = t.values
                    if let order { for (torch, distill) in order.enumerated() { values[distill] = t.values[torch] } }
                    store("batchnorm", name, values)
                }
                if let bad = runningVar.values.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
                    throw fail("running variance [\(bad)] = \(runningVar.values[bad]), expected a finite number ≥ 0")
                }
                specs.append(.batchNorm(momentum: momentum, epsilon: epsilon))
            case .relu:
                specs.append(.relu)
            case let .leakyReLU(alpha):
                specs.append(.leakyReLU(alpha: alpha))
            case let .maxPool(window), let .avgPool(window):
                try requireImage()
                let p = try padding(window)
                if case .maxPool = layer {
                    specs.append(.maxPool2D(size: window.kernel, stride: window.stride, padding: p))
                } else {
                    specs.append(.avgPool2D(size: window.kernel, stride: window.stride, padding: p))
                }
                shape = output(window, p, channels: shape[2])
            case .globalAvgPool:
                try requireImage()
                specs.append(.globalAvgPool)
                shape = [shape[2]]
            case .flatten:
                if shape.count == 3 {
                    if shape[0] * shape[1] > 1, shape[2] > 1 { flattened = shape }
                    shape = [shape[0] * shape[1] * shape[2]]
                }
                specs.append(.flatten)
            case let .linear(weight, bias):
                guard shape.count == 1 else { throw fail("needs flat features: add a Flatten before it") }
                let inputs = shape[0]
                guard weight.shape.count == 2, weight.shape[1] == inputs, (1...PortableModel.maxSide).contains(weight.shape[0]),
                      let weightCount = LayerFactory.elementCount(weight.shape), weightCount == weight.values.count else {
                    throw fail("weight shape \(weight.shape), expected [out, \(inputs)] with out in 1…\(PortableModel.maxSide)")
                }
                let units = weight.shape[0]
                try PortableModel.check(bias, features: units, name: "bias", fail)
                let order = flattened.map { FeatureOrder.distillIndices(image: $0) } ?? Array(0..<inputs)
                var kernel = [Float](repeating: 0, count: weightCount)
                for o in 0..<units { for t in 0..<inputs { kernel[order[t] * units + o] = weight.values[o * inputs + t] } }
                store("dense", "kernel", kernel)
                if let bias { store("dense", "bias", bias.values) }
                specs.append(.dense(units: units, bias: bias != nil))
                shape = [units]
                flattened = nil
            case let .dropout(rate):
                specs.append(.dropout(rate: rate))
            }
        }
        let spec = ModelSpec(name: name, layers: specs)
        let network = try Network(spec: spec, inputShape: hwc, classes: classes)
        let parameters = ModelParameters(layout: network.layout)
        func fill(_ entries: [ParameterLayout.Entry], _ buffer: UnsafeMutableBufferPointer<Float>) throws {
            for e in entries {
                guard let values = arrays[e.name], values.count == e.count else {
                    throw InteropError.badFile(file: source, detail: "array \(e.name) is missing or has the wrong size")
                }
                for i in 0..<e.count { buffer[e.offset + i] = values[i] }
            }
        }
        try fill(network.layout.parameters, parameters.values)
        try fill(network.layout.state, parameters.state)
        return ModelFile(spec: spec, inputShape: hwc, classes: classes, normalization: normalization, role: role, parameters: parameters)
    }

    /// Checks that an optional per-feature array has shape `[features]` and finite values.
    private static func check(_ t: PortableTensor?, features: Int, name: String, _ fail: (String) -> InteropError) throws {
        guard let t else { return }
        guard t.shape == [features], t.values.count == features else {
            throw fail("\(name) has shape \(t.shape), expected [\(features)]")
        }
    }
}
