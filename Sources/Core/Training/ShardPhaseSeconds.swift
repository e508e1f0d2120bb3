/// Seconds a ``ShardExecutor`` spent in each phase of its shards since it was made (for the
/// benchmark's step breakdown; thread time of that executor, not wall time of a step).
public struct ShardPhaseSeconds: Sendable, Equatable {
    /// Converting uint8 images to normalised floats.
    public var input = 0.0
    /// Teacher inference.
    public var teacher = 0.0
    /// Student training-mode forward pass.
    public var studentForward = 0.0
    /// The loss and its gradient with respect to the student logits.
    public var loss = 0.0
    /// Student backward pass, including checking the gradients and collecting statistics.
    public var studentBackward = 0.0

    public init() {}

    /// Phase-by-phase difference `self − earlier`.
    public func since(_ earlier: ShardPhaseSeconds) -> ShardPhaseSeconds {
        var d = ShardPhaseSeconds()
        d.input = input - earlier.input
        d.teacher = teacher - earlier.teacher
        d.studentForward = studentForward - earlier.studentForward
        d.loss = loss - earlier.loss
        d.studentBackward = studentBackward - earlier.studentBackward
        return d
    }

    /// Phase-by-phase sum.
    public static func + (a: ShardPhaseSeconds, b: ShardPhaseSeconds) -> ShardPhaseSeconds {
        var s = a
        s.input += b.input
        s.teacher += b.teacher
        s.studentForward += b.studentForward
        s.loss += b.loss
        s.studentBackward += b.studentBackward
        return s
    }
}
