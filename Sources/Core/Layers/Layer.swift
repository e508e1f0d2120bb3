/// How a forward pass runs.
public enum ForwardMode: Sendable, Equatable {
    /// Inference: BatchNorm uses running statistics, Dropout is the identity.
    case inference
    /// Training: BatchNorm uses (and records) batch statistics, Dropout draws its masks
    /// from `random`, keyed per global sample (`sampleOffset` is the index of the batch's
    /// first sample in the global batch, so a mask does not depend on how batches are sharded).
    case training(random: KeyedRandom, sampleOffset: Int)

    /// True in training mode.
    @inlinable public var isTraining: Bool {
        if case .training = self { return true }
        return false
    }
}

/// The name and shape of one parameter array of a layer.
public struct ParameterSpec: Sendable, Equatable {
    /// Name within the layer, e.g. `kernel`, `bias`, `gamma`, `running_mean`.
    public let name: String
    /// Shape of the array; for a `Conv2D` kernel `[kh, kw, cin, cout]`.
    public let shape: [Int]
    /// How the array is initialised before training.
    public let initializer: Initializer

    public init(name: String, shape: [Int], initializer: Initializer) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
}

/// A contiguous slice of a model's flat parameter (and gradient) buffers owned by one array.
///
/// Gradients are `nil` for frozen models (the teacher): no backward pass ever runs there.
public struct ParameterView {
    /// The values.
    public let value: UnsafeMutablePointer<Float>
    /// The gradient, same length as `value`, written by each backward pass; `nil` when frozen.
    public let gradient: UnsafeMutablePointer<Float>?
    /// Number of elements.
    public let count: Int

    public init(value: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>?, count: Int) {
        self.value = value
        self.gradient = gradient
        self.count = count
    }
}

/// One differentiable layer with hand-written forward and backward passes.
///
/// Layers are built for a fixed per-sample input shape (without the batch dimension) and
/// own reusable workspaces, so an instance serves one thread. Parameters live outside the
/// layer, in a model's flat buffers, and are bound with ``bind(parameters:state:)``.
/// `forward` saves what `backward` needs; `backward` *writes* (`=`) parameter gradients,
/// whatever the gradient buffer held before (nobody clears it between steps), and returns the
/// gradient with respect to the layer's input.
///
/// Layers check their options and shapes with preconditions only: options from a spec are
/// checked (with errors naming the layer) by `LayerFactory` before a layer is built, and the
/// shapes they see are those of a ``Network`` fed by a ``ShardExecutor`` that validated its input.
public protocol Layer: AnyObject {
    /// Per-sample input shape, e.g. `[32, 32, 3]` (HWC) or `[256]`.
    var inputShape: [Int] { get }
    /// Per-sample output shape.
    var outputShape: [Int] { get }
    /// Trainable arrays, in binding order.
    var parameterSpecs: [ParameterSpec] { get }
    /// Non-trainable state arrays (BatchNorm running statistics), in binding order.
    var stateSpecs: [ParameterSpec] { get }
    /// Binds the layer to views of the model's buffers, one per spec, in spec order.
    func bind(parameters: [ParameterView], state: [ParameterView])
    /// `x: [N, inputShape...] -> y: [N, outputShape...]`. The result is a workspace owned by
    /// the layer and valid until its next forward call.
    func forward(_ x: Tensor, mode: ForwardMode) -> Tensor
    /// `dy: [N, outputShape...] -> dx: [N, inputShape...]`, writing parameter gradients.
    /// Requires that the previous `forward` ran in training mode on the same input.
    func backward(_ dy: Tensor) -> Tensor
}

extension Layer {
    public var parameterSpecs: [ParameterSpec] { [] }
    public var stateSpecs: [ParameterSpec] { [] }
    public func bind(parameters: [ParameterView], state: [ParameterView]) {}
}
