/// A named initialisation scheme for the weights of a layer (`conv2d`, `dense`, `basicblock`):
/// `init` in a layer's spec, or `model.init` for every layer of a model that names none.
///
/// `fanIn` is the number of inputs of one output unit (`kh·kw·Cin` for a convolution) and
/// `fanOut` the number of outputs one input feeds (`kh·kw·Cout`). Kernels are drawn as below;
/// biases are zero except with `torch_default`.
///
/// | name | kernel | bias |
/// |---|---|---|
/// | `glorot_uniform` | U(±√(6/(fanIn+fanOut))) (Keras' default) | 0 |
/// | `glorot_normal` | truncated normal, σ = √(2/(fanIn+fanOut)) | 0 |
/// | `he_uniform` | U(±√(6/fanIn)) | 0 |
/// | `he_normal` | truncated normal, σ = √(2/fanIn) | 0 |
/// | `lecun_normal` | truncated normal, σ = √(1/fanIn) | 0 |
/// | `torch_default` | U(±1/√fanIn) (PyTorch's kaiming-uniform with a = √5) | U(±1/√fanIn) |
///
/// Truncated normals are Keras' (cut at two standard deviations of the untruncated normal and
/// rescaled so σ is the standard deviation of what is drawn); see ``Initializer``.
public enum WeightInit: String, CaseIterable, Codable, Sendable {
    case glorotUniform = "glorot_uniform"
    case glorotNormal = "glorot_normal"
    case heUniform = "he_uniform"
    case heNormal = "he_normal"
    case lecunNormal = "lecun_normal"
    case torchDefault = "torch_default"

    /// The scheme of layers that name none when `model.init` is not set.
    public static let standard = WeightInit.glorotUniform

    /// The initialiser of a kernel with these fans.
    public func kernel(fanIn: Int, fanOut: Int) -> Initializer {
        let fanIn = Float(fanIn), fanOut = Float(fanOut)
        switch self {
        case .glorotUniform: return .uniform(limit: (6 / (fanIn + fanOut)).squareRoot())
        case .glorotNormal: return .truncatedNormal(standardDeviation: (2 / (fanIn + fanOut)).squareRoot())
        case .heUniform: return .uniform(limit: (6 / fanIn).squareRoot())
        case .heNormal: return .truncatedNormal(standardDeviation: (2 / fanIn).squareRoot())
        case .lecunNormal: return .truncatedNormal(standardDeviation: (1 / fanIn).squareRoot())
        case .torchDefault: return .uniform(limit: 1 / fanIn.squareRoot())
        }
    }

    /// The initialiser of a bias of a layer with `fanIn` inputs per output.
    public func bias(fanIn: Int) -> Initializer {
        self == .torchDefault ? .uniform(limit: 1 / Float(fanIn).squareRoot()) : .zeros
    }
}
