/// The named model specs users can pass instead of a spec file.
public enum ModelPresets {
    /// Preset names, as accepted by ``named(_:)``.
    public static let names = ["seed-student", "vgg8-teacher", "resnet20", "hinton-teacher", "hinton-student"]

    /// The preset called `name`, or nil.
    public static func named(_ name: String) -> ModelSpec? {
        switch name {
        case "seed-student": return seedStudent
        case "vgg8-teacher": return vgg8Teacher
        case "resnet20": return resnet20
        case "hinton-teacher": return hintonTeacher
        case "hinton-student": return hintonStudent
        default: return nil
        }
    }

    private static func conv(_ filters: Int) -> LayerSpec {
        .conv2d(filters: filters, kernel: 3, stride: 1, padding: .same, bias: true)
    }
    private static let bn = LayerSpec.batchNorm(momentum: 0.99, epsilon: 1e-3)
    private static let leaky = LayerSpec.leakyReLU(alpha: 0.1)
    private static let pool = LayerSpec.maxPool2D(size: 2, stride: nil, padding: .valid)

    /// The Keras seed student for 32×32×3: 769,162 trainable values (770,378 with BatchNorm
    /// running statistics) for 10 classes.
    public static let seedStudent = ModelSpec(name: "seed-student", layers: [
        conv(32), bn, leaky, pool, .dropout(rate: 0.3),
        conv(64), bn, leaky, pool, .dropout(rate: 0.3),
        conv(128), bn, leaky, conv(128), bn, leaky, pool, .dropout(rate: 0.3),
        .flatten, .dense(units: 256, bias: true), bn, leaky, .dense(units: nil, bias: true),
    ])

    /// A VGG-style teacher: 3,253,834 values with BatchNorm running statistics for 32×32×3, 10 classes.
    public static let vgg8Teacher = ModelSpec(name: "vgg8-teacher", layers: [
        conv(64), bn, .relu, conv(64), bn, .relu, pool,
        conv(128), bn, .relu, conv(128), bn, .relu, pool,
        conv(256), bn, .relu, conv(256), bn, .relu, pool,
        .flatten, .dense(units: 512, bias: true), bn, .relu, .dense(units: nil, bias: true),
    ])

    /// CIFAR ResNet-20 (He et al. 2016): 3×3 conv 16, three stages of three basic blocks
    /// (16, 32, 64 filters; stride 2 at each new stage, 1×1 conv shortcuts), global average pool, dense.
    public static let resnet20 = ModelSpec(name: "resnet20", layers:
        [.conv2d(filters: 16, kernel: 3, stride: 1, padding: .same, bias: false), bn, .relu]
        + [16, 32, 64].enumerated().flatMap { stage, filters in
            (0..<3).map { i in LayerSpec.basicBlock(filters: filters, stride: stage > 0 && i == 0 ? 2 : 1) }
        }
        + [.globalAvgPool, .dense(units: nil, bias: true)])

    /// Hinton et al. (2015) MNIST teacher: 784-1200-1200-10 with dropout (0.2 on the input, 0.5 hidden).
    public static let hintonTeacher = ModelSpec(name: "hinton-teacher", layers: [
        .flatten, .dropout(rate: 0.2),
        .dense(units: 1200, bias: true), .relu, .dropout(rate: 0.5),
        .dense(units: 1200, bias: true), .relu, .dropout(rate: 0.5),
        .dense(units: nil, bias: true),
    ])

    /// Hinton et al. (2015) MNIST student: 784-800-800-10, no dropout.
    public static let hintonStudent = ModelSpec(name: "hinton-student", layers: [
        .flatten, .dense(units: 800, bias: true), .relu, .dense(units: 800, bias: true), .relu,
        .dense(units: nil, bias: true),
    ])
}
