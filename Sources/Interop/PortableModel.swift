import Core

/// A sequential image classifier in the conventions PyTorch and ONNX share: NCHW activations,
/// convolution weights `[out, in, kh, kw]` (OIHW), linear weights `[out, in]`, features after a
/// flatten in `C·H·W` order, explicit window padding. Export turns a Distill ``ModelFile`` into
/// one (``init(_:)``) and writes it; import reads one and turns it back (``modelFile(role:)``).
public struct PortableModel: Equatable {
    /// A name for logs and generated files.
    public var name: String
    /// Per-sample input shape `[C, H, W]`.
    public var inputShape: [Int]
    /// Width of the logits.
    public var classes: Int
    /// The input normalisation: the network sees `(x/255 − mean[c]) / std[c]` for pixel values `x` in 0…255.
    public var normalization: Normalization
    /// The layers, input first.
    public var layers: [PortableLayer]

    public init(name: String, inputShape: [Int], classes: Int, normalization: Normalization, layers: [PortableLayer]) {
        self.name = name
        self.inputShape = inputShape
        self.classes = classes
        self.normalization = normalization
        self.layers = layers
    }

    /// The per-channel affine map a graph applies to raw pixel values (0…255) before its first
    /// layer: `x · scale[c] + shift[c]`, with `scale = 1/(255·std)` and `shift = −mean/std`
    /// (the arithmetic Distill's data pipeline does).
    public var inputScale: [Float] { normalization.std.map { 1 / (255 * $0) } }
    /// See ``inputScale``.
    public var inputShift: [Float] { zip(normalization.mean, normalization.std).map { -$0 / $1 } }
}

/// A dense float32 array in row-major order.
public struct PortableTensor: Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

/// Padding of a 2-D window, in input pixels on each side.
public struct WindowPads: Equatable {
    public var top: Int, left: Int, bottom: Int, right: Int

    public init(top: Int, left: Int, bottom: Int, right: Int) {
        self.top = top
        self.left = left
        self.bottom = bottom
        self.right = right
    }

    public static let zero = WindowPads(top: 0, left: 0, bottom: 0, right: 0)

    /// ONNX's `pads` attribute: `[top, left, bottom, right]`.
    public var onnx: [Int] { [top, left, bottom, right] }
    /// True when each axis is padded equally on both sides.
    public var isSymmetric: Bool { top == bottom && left == right }
}

/// A square window (convolution or pooling): side, step and padding.
public struct PortableWindow: Equatable {
    public var kernel: Int
    public var stride: Int
    public var pads: WindowPads

    public init(kernel: Int, stride: Int, pads: WindowPads) {
        self.kernel = kernel
        self.stride = stride
        self.pads = pads
    }
}

/// One layer of a ``PortableModel``, with its arrays in PyTorch's names and layouts.
public enum PortableLayer: Equatable {
    /// `weight [out, in, k, k]`, optional `bias [out]`.
    case conv(window: PortableWindow, weight: PortableTensor, bias: PortableTensor?)
    /// Inference-mode batch normalisation over channels (after a convolution, `spatial`) or
    /// features; `momentum` in Keras' and ONNX's convention (weight of the old running value).
    case batchNorm(spatial: Bool, epsilon: Float, momentum: Float,
                   weight: PortableTensor, bias: PortableTensor, runningMean: PortableTensor, runningVar: PortableTensor)
    case relu
    case leakyReLU(alpha: Float)
    /// Padded positions never win.
    case maxPool(PortableWindow)
    /// Padded positions are not counted (`count_include_pad=False`).
    case avgPool(PortableWindow)
    /// `[N, C, H, W] -> [N, C]`.
    case globalAvgPool
    /// `[N, C, H, W] -> [N, C·H·W]`.
    case flatten
    /// `weight [out, in]`, optional `bias [out]`.
    case linear(weight: PortableTensor, bias: PortableTensor?)
    /// Identity at inference; `rate` is kept for training after import.
    case dropout(rate: Float)

    /// The operator's name in messages.
    public var kind: String {
        switch self {
        case .conv: return "conv"
        case .batchNorm: return "batchnorm"
        case .relu: return "relu"
        case .leakyReLU: return "leakyrelu"
        case .maxPool: return "maxpool"
        case .avgPool: return "avgpool"
        case .globalAvgPool: return "globalavgpool"
        case .flatten: return "flatten"
        case .linear: return "linear"
        case .dropout: return "dropout"
        }
    }
}
