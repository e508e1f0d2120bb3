/// Turns a ``LayerSpec`` into a layer for a given input shape, checking that it fits.
///
/// Every option of a spec is input (a file, a model file's metadata, a coordinator's welcome),
/// so this is where it is checked; the layers' initialisers only keep preconditions for what
/// is checked here. Its size limits and ``elementCount(_:)`` also bound models read from other
/// formats (`Interop`).
public enum LayerFactory {
    /// Most values one array of a layer (its kernel, one sample's output) may hold: 2³¹ − 1.
    /// Keeps every size product far from `Int` overflow.
    public static let maxElements = Int(Int32.max)

    /// Most filters of a convolution or units of a dense layer: 2¹⁶ (layers allocate a few
    /// workspaces per channel when built, before any file size can be compared).
    static let maxChannels = 65_536

    /// The product of `sizes` when every size is positive and the product is at most
    /// ``maxElements``, else nil.
    public static func elementCount(_ sizes: [Int]) -> Int? {
        var total = 1
        for size in sizes {
            guard size > 0 else { return nil }
            let (p, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow, p <= maxElements else { return nil }
            total = p
        }
        return total
    }

    static func make(_ spec: LayerSpec, index: Int, inputShape: [Int], classes: Int) throws -> Layer {
        func fail(_ detail: String) -> ModelSpecError {
            ModelSpecError.badLayer(index: index, type: spec.typeName, detail: "\(detail) (input shape \(inputShape))")
        }
        func requireImage() throws {
            guard inputShape.count == 3 else { throw fail("needs an image input [H, W, C]") }
        }
        func requirePositive(_ values: Int...) throws {
            guard values.allSatisfy({ $0 > 0 }) else { throw fail("sizes must be positive") }
        }
        func requireChannels(_ count: Int) throws {
            guard count <= maxChannels else { throw fail("\(count) filters or units, expected at most \(maxChannels)") }
        }
        func requireElements(_ sizes: Int...) throws {
            guard elementCount(sizes) != nil else { throw fail("sizes \(sizes) make an array of more than \(maxElements) values") }
        }
        func requireFinite(_ values: Float...) throws {
            guard values.allSatisfy(\.isFinite) else { throw fail("options must be finite numbers") }
        }
        func requireFits(_ size: Int, _ stride: Int, _ padding: Padding) throws {
            if padding == .valid, inputShape[0] < size || inputShape[1] < size {
                throw fail("window \(size) larger than the input")
            }
        }
        switch spec {
        case let .conv2d(filters, kernel, stride, padding, bias, weightInit):
            try requireImage(); try requirePositive(filters, kernel, stride); try requireFits(kernel, stride, padding); try requireChannels(filters)
            // The kernel, one sample's output and one sample's im2col patches (at most H·W rows).
            try requireElements(kernel, kernel, inputShape[2], filters); try requireElements(inputShape[0], inputShape[1], filters)
            try requireElements(inputShape[0], inputShape[1], kernel, kernel, inputShape[2])
            return Conv2D(inputShape: inputShape, filters: filters, kernelSize: kernel, stride: stride, padding: padding, useBias: bias,
                          weightInit: weightInit ?? .standard)
        case let .dense(units, bias, weightInit):
            guard inputShape.count == 1 else { throw fail("needs a flat input; add a flatten or globalavgpool layer") }
            let units = units ?? classes
            try requirePositive(units); try requireChannels(units); try requireElements(inputShape[0], units)
            return Dense(inputFeatures: inputShape[0], units: units, useBias: bias, weightInit: weightInit ?? .standard)
        case let .batchNorm(momentum, epsilon):
            try requireFinite(momentum, epsilon)
            guard (0..<1).contains(momentum), epsilon > 0 else { throw fail("momentum must be in [0, 1) and epsilon > 0") }
            return BatchNorm(inputShape: inputShape, momentum: momentum, epsilon: epsilon)
        case .relu:
            return ReLU(inputShape: inputShape)
        case let .leakyReLU(alpha):
            // Backward reads the sign of the output, which is the sign of the input only for alpha ≥ 0.
            try requireFinite(alpha)
            guard alpha >= 0 else { throw fail("alpha is \(alpha), expected a number ≥ 0") }
            return LeakyReLU(inputShape: inputShape, alpha: alpha)
        case let .maxPool2D(size, stride, padding):
            try requireImage(); try requirePositive(size, stride ?? size); try requireFits(size, stride ?? size, padding)
            return MaxPool2D(inputShape: inputShape, poolSize: size, stride: stride, padding: padding)
        case let .avgPool2D(size, stride, padding):
            try requireImage(); try requirePositive(size, stride ?? size); try requireFits(size, stride ?? size, padding)
            return AvgPool2D(inputShape: inputShape, poolSize: size, stride: stride, padding: padding)
        case .globalAvgPool:
            try requireImage()
            return GlobalAvgPool(inputShape: inputShape)
        case let .dropout(rate):
            guard (0..<1).contains(rate) else { throw fail("rate must be in [0, 1)") }
            return Dropout(inputShape: inputShape, rate: rate, keyIndex: UInt64(index))
        case .flatten:
            return Flatten(inputShape: inputShape)
        case let .basicBlock(filters, stride, weightInit):
            try requireImage(); try requirePositive(filters, stride); try requireChannels(filters)
            try requireElements(3, 3, max(inputShape[2], filters), filters)
            try requireElements(inputShape[0], inputShape[1], 3, 3, max(inputShape[2], filters))
            return BasicBlock(inputShape: inputShape, filters: filters, stride: stride, weightInit: weightInit ?? .standard)
        }
    }

    /// Tells the first trainable layer that nobody needs its input gradient.
    static func skipInputGradient(_ layer: Layer) {
        if let conv = layer as? Conv2D { conv.computesInputGradient = false }
        if let dense = layer as? Dense { dense.computesInputGradient = false }
    }
}
