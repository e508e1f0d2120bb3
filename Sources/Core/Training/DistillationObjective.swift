/// The training objective: `(1-λ)·CE(y, softmax(z_s)) + λ·T²·CE(softmax(z_t/T), softmax(z_s/T))`.
/// Without a teacher (or with λ = 0) it is plain softmax cross-entropy.
public struct DistillationObjective: Sendable, Equatable {
    /// Softmax temperature T of the soft term.
    public var temperature: Float
    /// Weight λ of the soft term, in [0, 1].
    public var alpha: Float

    public init(temperature: Float, alpha: Float) {
        self.temperature = temperature
        self.alpha = alpha
    }

    /// Plain cross-entropy training.
    public static let plain = DistillationObjective(temperature: 1, alpha: 0)
}

/// What one shard's forward and backward pass returns: sums over its samples, so that shards
/// of different sizes combine by weight.
public struct ShardResult: Sendable, Equatable {
    /// Position of the shard in the global batch.
    public var shardIndex: Int
    /// Loss sums and correct count over the shard's samples.
    public var loss: LossSums
    /// For each student BatchNorm in layout order: per-channel mean, then biased variance, over this shard.
    public var batchStatistics: [Float]
    /// Gradient of the *sum* of the shard's per-sample losses, in parameter layout order (read in
    /// place from the message when the result came from a worker).
    public var gradients: FloatValues
    /// True when this shard's gradients were added into the result of its step's first shard,
    /// which then carries their sum (``KernelGradientFold``): ``gradients`` is empty.
    public var gradientsFolded = false
    /// Seconds the computation took (for throughput reports only).
    public var computeSeconds: Double
    /// How the gradients travel; under ``GradientEncoding/bfloat16`` every value is a bfloat16.
    public var gradientEncoding: GradientEncoding
    /// The teacher's logits the executor computed, `[count, classes]`, when the task asked for
    /// them (``ShardTask/returnsTeacherLogits``); empty otherwise.
    public var teacherLogits: [Float]

    public init(shardIndex: Int, loss: LossSums, batchStatistics: [Float], gradients: FloatValues, computeSeconds: Double,
                gradientEncoding: GradientEncoding = .float32, teacherLogits: [Float] = []) {
        self.shardIndex = shardIndex
        self.loss = loss
        self.batchStatistics = batchStatistics
        self.gradients = gradients
        self.computeSeconds = computeSeconds
        self.gradientEncoding = gradientEncoding
        self.teacherLogits = teacherLogits
    }

    /// Number of samples in the shard.
    public var count: Int { loss.count }
}
