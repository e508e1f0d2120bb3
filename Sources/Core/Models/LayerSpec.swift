/// One layer of a ``ModelSpec``. In YAML/JSON a layer is a mapping with a `type` key and
/// the type's options; options left out take the defaults shown (Keras' defaults).
///
/// Layers with weights take `init` (a ``WeightInit`` name); left out (nil), the layer uses the
/// model's default (`model.init`, see ``ModelSpec/withDefaultInit(_:)``).
public enum LayerSpec: Equatable, Sendable {
    /// `conv2d`: `filters`, `kernel` (3), `stride` (1), `padding` (`same`), `bias` (true), `init`.
    case conv2d(filters: Int, kernel: Int, stride: Int, padding: Padding, bias: Bool, weightInit: WeightInit? = nil)
    /// `dense`: `units` (left out: the data set's class count), `bias` (true), `init`.
    case dense(units: Int?, bias: Bool, weightInit: WeightInit? = nil)
    /// `batchnorm`: `momentum` (0.99, Keras convention), `epsilon` (0.001).
    case batchNorm(momentum: Float, epsilon: Float)
    /// `relu`.
    case relu
    /// `leakyrelu`: `alpha` (0.3, Keras' default).
    case leakyReLU(alpha: Float)
    /// `maxpool2d`: `size` (2), `stride` (= size), `padding` (`valid`).
    case maxPool2D(size: Int, stride: Int?, padding: Padding)
    /// `avgpool2d`: as `maxpool2d`.
    case avgPool2D(size: Int, stride: Int?, padding: Padding)
    /// `globalavgpool`.
    case globalAvgPool
    /// `dropout`: `rate`.
    case dropout(rate: Float)
    /// `flatten`.
    case flatten
    /// `basicblock`: residual block of two 3×3 conv+BN; `filters`, `stride` (1), `init` (its convolutions).
    case basicBlock(filters: Int, stride: Int, weightInit: WeightInit? = nil)

    /// The `type` string of this layer.
    public var typeName: String {
        switch self {
        case .conv2d: return "conv2d"
        case .dense: return "dense"
        case .batchNorm: return "batchnorm"
        case .relu: return "relu"
        case .leakyReLU: return "leakyrelu"
        case .maxPool2D: return "maxpool2d"
        case .avgPool2D: return "avgpool2d"
        case .globalAvgPool: return "globalavgpool"
        case .dropout: return "dropout"
        case .flatten: return "flatten"
        case .basicBlock: return "basicblock"
        }
    }

    /// The initialisation this layer names, or nil (no weights, or the model's default).
    public var weightInit: WeightInit? {
        switch self {
        case let .conv2d(_, _, _, _, _, weightInit), let .dense(_, _, weightInit), let .basicBlock(_, _, weightInit): return weightInit
        default: return nil
        }
    }

    /// This layer with `init` set to `default` when it has weights and names no initialisation.
    public func withDefaultInit(_ default: WeightInit) -> LayerSpec {
        switch self {
        case let .conv2d(filters, kernel, stride, padding, bias, weightInit):
            return .conv2d(filters: filters, kernel: kernel, stride: stride, padding: padding, bias: bias, weightInit: weightInit ?? `default`)
        case let .dense(units, bias, weightInit): return .dense(units: units, bias: bias, weightInit: weightInit ?? `default`)
        case let .basicBlock(filters, stride, weightInit): return .basicBlock(filters: filters, stride: stride, weightInit: weightInit ?? `default`)
        default: return self
        }
    }
}

extension LayerSpec: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static let allowedKeys: [String: Set<String>] = [
        "conv2d": ["filters", "kernel", "stride", "padding", "bias", "init"],
        "dense": ["units", "bias", "init"],
        "batchnorm": ["momentum", "epsilon"],
        "relu": [], "leakyrelu": ["alpha"],
        "maxpool2d": ["size", "stride", "padding"], "avgpool2d": ["size", "stride", "padding"],
        "globalavgpool": [], "dropout": ["rate"], "flatten": [],
        "basicblock": ["filters", "stride", "init"],
    ]

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let type = try c.decode(String.self, forKey: Key("type")).lowercased()
        guard let allowed = LayerSpec.allowedKeys[type] else {
            throw DecodingError.dataCorruptedError(
                forKey: Key("type"), in: c,
                debugDescription: "unknown layer type '\(type)' (known: \(LayerSpec.allowedKeys.keys.sorted().joined(separator: ", ")))")
        }
        for key in c.allKeys where key.stringValue != "type" && !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c,
                debugDescription: "unknown option '\(key.stringValue)' for \(type) (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
        func int(_ k: String, _ d: Int? = nil) throws -> Int {
            if let d { return try c.decodeIfPresent(Int.self, forKey: Key(k)) ?? d }
            return try c.decode(Int.self, forKey: Key(k))
        }
        func float(_ k: String, _ d: Float) throws -> Float { try c.decodeIfPresent(Float.self, forKey: Key(k)) ?? d }
        func padding(_ d: Padding) throws -> Padding { try c.decodeIfPresent(Padding.self, forKey: Key("padding")) ?? d }
        func weightInit() throws -> WeightInit? {
            guard let name = try c.decodeIfPresent(String.self, forKey: Key("init")) else { return nil }
            guard let scheme = WeightInit(rawValue: name) else {
                throw DecodingError.dataCorruptedError(
                    forKey: Key("init"), in: c,
                    debugDescription: "unknown init '\(name)' for \(type) (known: \(WeightInit.names.joined(separator: ", ")))")
            }
            return scheme
        }
        switch type {
        case "conv2d":
            self = .conv2d(filters: try int("filters"), kernel: try int("kernel", 3), stride: try int("stride", 1),
                           padding: try padding(.same), bias: try c.decodeIfPresent(Bool.self, forKey: Key("bias")) ?? true,
                           weightInit: try weightInit())
        case "dense":
            self = .dense(units: try c.decodeIfPresent(Int.self, forKey: Key("units")),
                          bias: try c.decodeIfPresent(Bool.self, forKey: Key("bias")) ?? true, weightInit: try weightInit())
        case "batchnorm": self = .batchNorm(momentum: try float("momentum", 0.99), epsilon: try float("epsilon", 1e-3))
        case "relu": self = .relu
        case "leakyrelu": self = .leakyReLU(alpha: try float("alpha", 0.3))
        case "maxpool2d":
            self = .maxPool2D(size: try int("size", 2), stride: try c.decodeIfPresent(Int.self, forKey: Key("stride")), padding: try padding(.valid))
        case "avgpool2d":
            self = .avgPool2D(size: try int("size", 2), stride: try c.decodeIfPresent(Int.self, forKey: Key("stride")), padding: try padding(.valid))
        case "globalavgpool": self = .globalAvgPool
        case "dropout": self = .dropout(rate: try float("rate", 0.5))
        case "flatten": self = .flatten
        default: self = .basicBlock(filters: try int("filters"), stride: try int("stride", 1), weightInit: try weightInit())
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(typeName, forKey: Key("type"))
        switch self {
        case let .conv2d(filters, kernel, stride, padding, bias, _):
            try c.encode(filters, forKey: Key("filters")); try c.encode(kernel, forKey: Key("kernel"))
            try c.encode(stride, forKey: Key("stride")); try c.encode(padding, forKey: Key("padding"))
            try c.encode(bias, forKey: Key("bias"))
        case let .dense(units, bias, _):
            try c.encodeIfPresent(units, forKey: Key("units")); try c.encode(bias, forKey: Key("bias"))
        case let .batchNorm(momentum, epsilon):
            try c.encode(momentum, forKey: Key("momentum")); try c.encode(epsilon, forKey: Key("epsilon"))
        case let .leakyReLU(alpha): try c.encode(alpha, forKey: Key("alpha"))
        case let .maxPool2D(size, stride, padding), let .avgPool2D(size, stride, padding):
            try c.encode(size, forKey: Key("size")); try c.encodeIfPresent(stride, forKey: Key("stride"))
            try c.encode(padding, forKey: Key("padding"))
        case let .dropout(rate): try c.encode(rate, forKey: Key("rate"))
        case let .basicBlock(filters, stride, _):
            try c.encode(filters, forKey: Key("filters")); try c.encode(stride, forKey: Key("stride"))
        case .relu, .globalAvgPool, .flatten: break
        }
        try c.encodeIfPresent(weightInit?.rawValue, forKey: Key("init"))
    }
}
