import Core

extension PortableModel {
    /// The model of a Distill model file in PyTorch's conventions: HWIO kernels become OIHW,
    /// dense kernels `[in, out]` become `[out, in]`, TensorFlow padding becomes explicit pads, and
    /// features flattened from an `[H, W, C]` image (Distill's order) are permuted into PyTorch's
    /// `C·H·W` order in every per-feature array up to and including the first dense layer.
    /// - Throws: ``InteropError/unsupportedLayer(index:type:format:detail:)`` for `basicblock`
    ///   (not sequential), ``ModelSpecError`` for a spec that does not build.
    public init(_ file: ModelFile, format: String) throws {
        let network = try Network(spec: file.spec, inputShape: file.inputShape, classes: file.classes)
        var arrays: [String: [Float]] = [:]
        for e in network.layout.parameters { arrays[e.name] = Array(file.parameters.values[e.range]) }
        for e in network.layout.state { arrays[e.name] = Array(file.parameters.state[e.range]) }
        var layers: [PortableLayer] = []
        // The image a flatten flattened, while features are still in Distill's (h, w, c) order.
        var flattened: [Int]?
        for (index, (spec, layer)) in zip(file.spec.layers, network.layers).enumerated() {
            let prefix = "layer\(index).\(spec.typeName)."
            func array(_ name: String) -> [Float] { arrays[prefix + name] ?? [] }
            switch layer {
            case let conv as Conv2D:
                let (k, cin, cout) = (conv.kernelSize, conv.inputShape[2], conv.filters)
                let hwio = array("kernel")
                var oihw = [Float](repeating: 0, count: hwio.count)
                for y in 0..<k { for x in 0..<k { for i in 0..<cin { for o in 0..<cout {
                    oihw[((o * cin + i) * k + y) * k + x] = hwio[((y * k + x) * cin + i) * cout + o]
                } } } }
                let window = PortableWindow(kernel: k, stride: conv.stride,
                                            pads: WindowPads(tensorFlow: conv.padding, input: conv.inputShape, kernel: k, stride: conv.stride))
                layers.append(.conv(window: window, weight: PortableTensor(shape: [cout, cin, k, k], values: oihw),
                                    bias: conv.useBias ? PortableTensor(shape: [cout], values: array("bias")) : nil))
            case let bn as BatchNorm:
                let order = flattened.map { FeatureOrder.distillIndices(image: $0) }
                func vector(_ name: String) -> PortableTensor {
                    let v = array(name)
                    return PortableTensor(shape: [v.count], values: order.map { $0.map { v[$0] } } ?? v)
                }
                layers.append(.batchNorm(spatial: bn.inputShape.count == 3, epsilon: bn.epsilon, momentum: bn.momentum,
                                         weight: vector("gamma"), bias: vector("beta"),
                                         runningMean: vector("running_mean"), runningVar: vector("running_variance")))
            case is ReLU:
                layers.append(.relu)
            case let leaky as LeakyReLU:
                layers.append(.leakyReLU(alpha: leaky.alpha))
            case let pool as MaxPool2D:
                layers.append(.maxPool(PortableWindow(pool.window)))
            case let pool as AvgPool2D:
                layers.append(.avgPool(PortableWindow(pool.window)))
            case is GlobalAvgPool:
                layers.append(.globalAvgPool)
            case let flatten as Flatten:
                if flatten.inputShape.count == 3 { flattened = flatten.inputShape }
                layers.append(.flatten)
            case let dense as Dense:
                let (inputs, units) = (dense.inputFeatures, dense.units)
                let kernel = array("kernel")
                let order = flattened.map { FeatureOrder.distillIndices(image: $0) } ?? Array(0..<inputs)
                var weight = [Float](repeating: 0, count: kernel.count)
                for o in 0..<units { for t in 0..<inputs { weight[o * inputs + t] = kernel[order[t] * units + o] } }
                layers.append(.linear(weight: PortableTensor(shape: [units, inputs], values: weight),
                                      bias: dense.useBias ? PortableTensor(shape: [units], values: array("bias")) : nil))
                flattened = nil
            case let dropout as Dropout:
                layers.append(.dropout(rate: dropout.rate))
            default:
                throw InteropError.unsupportedLayer(index: index, type: spec.typeName, format: format,
                                                    detail: "only sequential layers are exported (a residual block is not)")
            }
        }
        self.init(name: file.spec.name, inputShape: [file.inputShape[2], file.inputShape[0], file.inputShape[1]],
                  classes: file.classes, normalization: file.normalization, layers: layers)
    }
}

extension WindowPads {
    /// The explicit pads of TensorFlow's `padding` for a window over `input` (`[H, W, C]`).
    init(tensorFlow padding: Padding, input: [Int], kernel: Int, stride: Int) {
        func total(_ size: Int) -> Int {
            max((padding.outputSize(input: size, kernel: kernel, stride: stride) - 1) * stride + kernel - size, 0)
        }
        let (h, w) = (input[0], input[1])
        let top = padding.paddingBefore(input: h, kernel: kernel, stride: stride)
        let left = padding.paddingBefore(input: w, kernel: kernel, stride: stride)
        self.init(top: top, left: left,
                  bottom: padding == .same ? total(h) - top : 0, right: padding == .same ? total(w) - left : 0)
    }
}

extension PortableWindow {
    init(_ window: PoolingWindow) {
        self.init(kernel: window.size, stride: window.stride,
                  pads: WindowPads(tensorFlow: window.padding, input: window.inputShape, kernel: window.size, stride: window.stride))
    }
}

/// The order of features flattened from an image: Distill flattens `[H, W, C]` (channels
/// fastest), PyTorch and ONNX `[C, H, W]`.
enum FeatureOrder {
    /// For each PyTorch feature index `t = (c·H + h)·W + w`, the Distill index `(h·W + w)·C + c`;
    /// `image` is `[H, W, C]` of at most 2³¹ − 1 values (checked where it was built).
    static func distillIndices(image: [Int]) -> [Int] {
        let (h, w, c) = (image[0], image[1], image[2])
        var order = [Int](repeating: 0, count: h * w * c)
        for ci in 0..<c { for y in 0..<h { for x in 0..<w { order[(ci * h + y) * w + x] = (y * w + x) * c + ci } } }
        return order
    }
}
