/// Turns a ``LayerSpec`` into a layer for a given input shape, checking that it fits.
enum LayerFactory {
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
        func requireFits(_ size: Int, _ stride: Int, _ padding: Padding) throws {
            if padding == .valid, inputShape[0] < size || inputShape[1] < size {
                throw fail("window \(size) larger than the input")
            }
        }
        switch spec {
        case let .conv2d(filters, kernel, stride, padding, bias, weightInit):
            try requireImage(); try requirePositive(filters, kernel, stride); try requireFits(kernel, stride, padding)
            return Conv2D(inputShape: inputShape, filters: filters, kernelSize: kernel, stride: stride, padding: padding, useBias: bias,
                          weightInit: weightInit ?? .standard)
        case let .dense(units, bias, weightInit):
            guard inputShape.count == 1 else { throw fail("needs a flat input; add a flatten or globalavgpool layer") }
            let units = units ?? classes
            try requirePositive(units)
            return Dense(inputFeatures: inputShape[0], units: units, useBias: bias, weightInit: weightInit ?? .standard)
        case let .batchNorm(momentum, epsilon):
            guard (0..<1).contains(momentum), epsilon > 0 else { throw fail("momentum must be in [0, 1) and epsilon > 0") }
            return BatchNorm(inputShape: inputShape, momentum: momentum, epsilon: epsilon)
        case .relu:
            return ReLU(inputShape: inputShape)
        case let .leakyReLU(alpha):
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
            try requireImage(); try requirePositive(filters, stride)
            return BasicBlock(inputShape: inputShape, filters: filters, stride: stride, weightInit: weightInit ?? .standard)
        }
    }

    /// Tells the first trainable layer that nobody needs its input gradient.
    static func skipInputGradient(_ layer: Layer) {
        if let conv = layer as? Conv2D { conv.computesInputGradient = false }
        if let dense = layer as? Dense { dense.computesInputGradient = false }
    }
}
