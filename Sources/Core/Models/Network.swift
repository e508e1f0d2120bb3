/// A model built from a ``ModelSpec`` for a given input shape and class count: a sequence of
/// layers with workspaces for one thread, bound to a ``ModelParameters``.
///
/// Build one `Network` per thread (a *replica*) and bind them all to the same parameters;
/// give each replica that trains its own gradient buffer.
public final class Network {
    /// The spec this network was built from.
    public let spec: ModelSpec
    /// Per-sample input shape, HWC.
    public let inputShape: [Int]
    /// Number of classes (width of the logits).
    public let classes: Int
    /// The layers, input first.
    public let layers: [Layer]
    /// Where the arrays live in the flat buffers.
    public let layout: ParameterLayout
    /// Every BatchNorm, nested ones included, in layout order.
    public let batchNorms: [BatchNorm]
    /// Every Dense layer, nested ones included, in layout order.
    var denseLayers: [Dense] { Network.flatten(layers).compactMap { $0 as? Dense } }
    /// Index of the first layer with parameters: backward stops there.
    private let firstTrainable: Int
    /// The parameters the layers point into, kept alive as long as the network.
    public private(set) var parameters: ModelParameters?

    /// Builds the layers; throws ``ModelSpecError`` for a spec that does not fit the input, an
    /// input shape that is not `[H, W, C]` of positive sizes, fewer than one class, or layers
    /// needing more than `valueLimit` parameters and statistics in all. Building a layer
    /// allocates at most a few times its own parameter count, so a limit taken from a file
    /// (``ModelFile/read(_:)``) bounds what a spec in that file can make this allocate.
    public init(spec: ModelSpec, inputShape: [Int], classes: Int, valueLimit: Int = .max) throws {
        guard inputShape.count == 3, classes > 0, LayerFactory.elementCount(inputShape) != nil else {
            throw ModelSpecError.invalid(source: spec.name, detail: "input shape \(inputShape) with \(classes) classes: "
                + "expected [H, W, C] of positive sizes (at most \(LayerFactory.maxElements) values) and at least one class")
        }
        self.spec = spec
        self.inputShape = inputShape
        self.classes = classes
        var shape = inputShape
        var layers: [Layer] = []
        var values = 0
        for (index, layerSpec) in spec.layers.enumerated() {
            let layer = try LayerFactory.make(layerSpec, index: index, inputShape: shape, classes: classes)
            values += (layer.parameterSpecs + layer.stateSpecs).reduce(0) { $0 + $1.count }
            guard values <= valueLimit else {
                throw ModelSpecError.badLayer(index: index, type: layerSpec.typeName,
                                              detail: "layers 0…\(index) hold \(values) values, more than the \(valueLimit) available")
            }
            layers.append(layer)
            shape = layer.outputShape
        }
        guard shape == [classes] else {
            throw ModelSpecError.badLayer(
                index: spec.layers.count - 1, type: spec.layers.last?.typeName ?? "none",
                detail: "the model ends with shape \(shape), expected [\(classes)] logits")
        }
        self.layers = layers
        layout = ParameterLayout(layers: layers, typeNames: spec.layers.map(\.typeName))
        batchNorms = Network.flatten(layers).compactMap { $0 as? BatchNorm }
        firstTrainable = layers.firstIndex { !$0.parameterSpecs.isEmpty } ?? layers.count
        if firstTrainable < layers.count { LayerFactory.skipInputGradient(layers[firstTrainable]) }
    }

    /// An unbound network of already built `layers` for inference only (``foldedForInference()``):
    /// `typeNames` name the arrays in its layout; backward does nothing.
    init(spec: ModelSpec, inputShape: [Int], classes: Int, layers: [Layer], typeNames: [String]) {
        self.spec = spec
        self.inputShape = inputShape
        self.classes = classes
        self.layers = layers
        layout = ParameterLayout(layers: layers, typeNames: typeNames)
        batchNorms = Network.flatten(layers).compactMap { $0 as? BatchNorm }
        firstTrainable = layers.count
    }

    private static func flatten(_ layers: [Layer]) -> [Layer] {
        layers.flatMap { layer -> [Layer] in
            if let container = layer as? LayerContainer { return [layer] + flatten(container.sublayers) }
            return [layer]
        }
    }

    /// Binds every layer to `parameters`, with gradients written into `gradients`
    /// (`layout.parameterCount` floats) or none for a frozen network.
    public func bind(_ parameters: ModelParameters, gradients: UnsafeMutablePointer<Float>?) {
        precondition(parameters.layout == layout, "binding \(spec.name) to parameters of another layout")
        self.parameters = parameters
        var p = 0
        var s = 0
        for layer in layers {
            let views = layer.parameterSpecs.map { spec -> ParameterView in
                defer { p += spec.count }
                return ParameterView(value: parameters.values.baseAddress! + p, gradient: gradients.map { $0 + p }, count: spec.count)
            }
            let stateViews = layer.stateSpecs.map { spec -> ParameterView in
                defer { s += spec.count }
                return ParameterView(value: parameters.state.baseAddress! + s, gradient: nil, count: spec.count)
            }
            layer.bind(parameters: views, state: stateViews)
        }
    }

    /// `x: [N, H, W, C] -> logits: [N, classes]` (a workspace of the last layer).
    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        var h = x
        for layer in layers { h = layer.forward(h, mode: mode) }
        return h
    }

    /// Backpropagates `dLogits: [N, classes]` through the last training-mode forward,
    /// writing every parameter gradient (whatever the buffer held). Layers before the first
    /// trainable one, which have no parameters, are skipped.
    public func backward(_ dLogits: Tensor) {
        var g = dLogits
        var i = layers.count - 1
        while i >= firstTrainable {
            g = layers[i].backward(g)
            i -= 1
        }
    }

    /// Floats per shard of BatchNorm statistics: mean and variance per channel of every BatchNorm.
    public var batchStatisticsCount: Int { batchNorms.reduce(0) { $0 + 2 * $1.channels } }

    /// Writes the batch statistics of the last training forward: for each BatchNorm in
    /// order, its per-channel mean then its (biased) variance.
    public func collectBatchStatistics(into out: UnsafeMutablePointer<Float>) {
        var o = 0
        for bn in batchNorms {
            (out + o).update(from: bn.batchMean.baseAddress!, count: bn.channels)
            (out + o + bn.channels).update(from: bn.batchVariance.baseAddress!, count: bn.channels)
            o += 2 * bn.channels
        }
    }

    /// Applies one momentum update of every BatchNorm's running statistics from combined
    /// batch statistics laid out as by ``collectBatchStatistics(into:)``.
    public func applyBatchStatistics(_ statistics: UnsafePointer<Float>) {
        var o = 0
        for bn in batchNorms {
            bn.updateRunningStatistics(mean: statistics + o, variance: statistics + o + bn.channels)
            o += 2 * bn.channels
        }
    }
}

/// A layer made of other layers (``BasicBlock``); lets a ``Network`` find nested BatchNorms.
public protocol LayerContainer: Layer {
    /// The layers inside, in parameter order.
    var sublayers: [Layer] { get }
}
