/// The residual basic block of ResNet (He et al. 2016):
/// `y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`, both convolutions 3×3 without
/// bias; the shortcut is the identity, or a 1×1 convolution + BatchNorm when the stride or
/// the channel count changes.
public final class BasicBlock: LayerContainer {
    public let inputShape: [Int]
    public let outputShape: [Int]
    private let conv1: Conv2D
    private let bn1: BatchNorm
    private let relu1: ReLU
    private let conv2: Conv2D
    private let bn2: BatchNorm
    private let projection: (conv: Conv2D, bn: BatchNorm)?
    private let outRelu: ReLU
    private let sum = Tensor(shape: [0])
    private let dx = Tensor(shape: [0])

    /// A block mapping `inputShape` ([H, W, C]) to `[H/stride, W/stride, filters]`, its
    /// convolutions initialised by `weightInit` (BatchNorm: γ = 1, β = 0).
    public init(inputShape: [Int], filters: Int, stride: Int = 1, weightInit: WeightInit = .standard) {
        self.inputShape = inputShape
        conv1 = Conv2D(inputShape: inputShape, filters: filters, kernelSize: 3, stride: stride, padding: .same, useBias: false, weightInit: weightInit)
        bn1 = BatchNorm(inputShape: conv1.outputShape)
        relu1 = ReLU(inputShape: conv1.outputShape)
        conv2 = Conv2D(inputShape: conv1.outputShape, filters: filters, kernelSize: 3, stride: 1, padding: .same, useBias: false, weightInit: weightInit)
        bn2 = BatchNorm(inputShape: conv2.outputShape)
        if stride != 1 || inputShape[2] != filters {
            let conv = Conv2D(inputShape: inputShape, filters: filters, kernelSize: 1, stride: stride, padding: .same, useBias: false, weightInit: weightInit)
            projection = (conv, BatchNorm(inputShape: conv.outputShape))
        } else {
            projection = nil
        }
        outRelu = ReLU(inputShape: conv2.outputShape)
        outputShape = conv2.outputShape
    }

    public var sublayers: [Layer] {
        [conv1, bn1, relu1, conv2, bn2] + (projection.map { [$0.conv, $0.bn] } ?? []) + [outRelu]
    }

    private static let sublayerNames = ["conv1", "bn1", "relu1", "conv2", "bn2", "shortcut_conv", "shortcut_bn", "relu2"]

    private var namedSublayers: [(String, Layer)] {
        var names = BasicBlock.sublayerNames
        if projection == nil { names.removeSubrange(5...6) }
        return Array(zip(names, sublayers))
    }

    public var parameterSpecs: [ParameterSpec] {
        namedSublayers.flatMap { name, layer in
            layer.parameterSpecs.map { ParameterSpec(name: "\(name).\($0.name)", shape: $0.shape, initializer: $0.initializer) }
        }
    }

    public var stateSpecs: [ParameterSpec] {
        namedSublayers.flatMap { name, layer in
            layer.stateSpecs.map { ParameterSpec(name: "\(name).\($0.name)", shape: $0.shape, initializer: $0.initializer) }
        }
    }

    public func bind(parameters: [ParameterView], state: [ParameterView]) {
        var p = 0
        var s = 0
        for layer in sublayers {
            let np = layer.parameterSpecs.count
            let ns = layer.stateSpecs.count
            layer.bind(parameters: Array(parameters[p..<(p + np)]), state: Array(state[s..<(s + ns)]))
            p += np
            s += ns
        }
    }

    // x: [N, H, W, C] -> y: [N, H/stride, W/stride, filters]
    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        let main = bn2.forward(conv2.forward(relu1.forward(bn1.forward(conv1.forward(x, mode: mode), mode: mode), mode: mode), mode: mode), mode: mode)
        let shortcut = projection.map { $0.bn.forward($0.conv.forward(x, mode: mode), mode: mode) } ?? x
        sum.resize(to: main.shape)
        let n = sum.count
        let s = sum.pointer, a = main.pointer, b = shortcut.pointer
        for i in 0..<n { s[i] = a[i] + b[i] }
        return outRelu.forward(sum, mode: mode)
    }

    // dy: [N, H', W', filters] -> dx: [N, H, W, C]
    public func backward(_ dy: Tensor) -> Tensor {
        let dSum = outRelu.backward(dy)
        let dMain = conv1.backward(bn1.backward(relu1.backward(conv2.backward(bn2.backward(dSum)))))
        let dShortcut = projection.map { $0.conv.backward($0.bn.backward(dSum)) } ?? dSum
        dx.resize(to: dMain.shape)
        let n = dx.count
        let d = dx.pointer, a = dMain.pointer, b = dShortcut.pointer
        for i in 0..<n { d[i] = a[i] + b[i] }
        return dx
    }
}
