/// Where each named array of a model lives in its flat buffers.
///
/// All trainable values of a model sit in one contiguous buffer and all BatchNorm running
/// statistics in another, so a gradient reduce is one loop and a parameter broadcast one frame.
/// Arrays are named `layer<i>.<type>.<array>` (e.g. `layer0.conv2d.kernel`), in layer order.
public struct ParameterLayout: Equatable, Sendable {
    /// One named array: its place in the flat buffer, its shape and initialiser.
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public let initializer: Initializer
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
    }

    /// Trainable arrays, in buffer order.
    public let parameters: [Entry]
    /// Running-statistics arrays, in buffer order.
    public let state: [Entry]
    /// Total trainable values.
    public let parameterCount: Int
    /// Total running-statistics values.
    public let stateCount: Int

    /// The layout of `layers`, whose spec type names (`conv2d`, ...) are `typeNames`.
    init(layers: [Layer], typeNames: [String]) {
        var parameters: [Entry] = []
        var state: [Entry] = []
        var p = 0
        var s = 0
        for (i, layer) in layers.enumerated() {
            let prefix = "layer\(i).\(typeNames[i])."
            for spec in layer.parameterSpecs {
                parameters.append(Entry(name: prefix + spec.name, shape: spec.shape, offset: p, initializer: spec.initializer))
                p += spec.count
            }
            for spec in layer.stateSpecs {
                state.append(Entry(name: prefix + spec.name, shape: spec.shape, offset: s, initializer: spec.initializer))
                s += spec.count
            }
        }
        self.parameters = parameters
        self.state = state
        self.parameterCount = p
        self.stateCount = s
    }

    /// Ranges of the arrays weight decay applies to: kernels (rank ≥ 2), not biases or BatchNorm.
    public var decayRanges: [Range<Int>] {
        parameters.filter { $0.shape.count >= 2 }.map(\.range)
    }
}
