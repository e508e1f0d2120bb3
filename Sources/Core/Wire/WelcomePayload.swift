/// The coordinator's acceptance of a join: the run a worker computes shards for and the
/// frozen teacher's weights. The worker reads no files: this is everything it needs.
public struct WelcomePayload: Equatable, Sendable {
    /// The run: its id (repeated in every later header), seed, shapes, objective and model specs.
    public let run: RunDescription
    /// The frozen teacher's parameters (``FloatArray/empty`` without a teacher).
    public let teacherParameters: FloatArray
    /// The frozen teacher's state, e.g. BatchNorm running statistics.
    public let teacherState: FloatArray

    /// A welcome message's payload.
    public init(run: RunDescription, teacherParameters: FloatArray = .empty, teacherState: FloatArray = .empty) {
        self.run = run
        self.teacherParameters = teacherParameters
        self.teacherState = teacherState
    }
}
