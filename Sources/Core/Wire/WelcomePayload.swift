/// The coordinator's acceptance of a join: everything a worker needs to build the models.
public struct WelcomePayload: Equatable, Sendable {
    /// The run the worker now belongs to; it must repeat it in every later header.
    public let runID: UInt64
    /// The run configuration as YAML.
    public let configYAML: String
    /// The student model spec as JSON.
    public let studentSpecJSON: String
    /// The teacher model spec as JSON; empty when training without a teacher.
    public let teacherSpecJSON: String
    /// The frozen teacher's parameters (``FloatArray/empty`` without a teacher).
    public let teacherParameters: FloatArray
    /// The frozen teacher's state, e.g. BatchNorm running statistics.
    public let teacherState: FloatArray

    /// A welcome message's payload.
    public init(runID: UInt64, configYAML: String, studentSpecJSON: String, teacherSpecJSON: String = "",
                teacherParameters: FloatArray = .empty, teacherState: FloatArray = .empty) {
        self.runID = runID
        self.configYAML = configYAML
        self.studentSpecJSON = studentSpecJSON
        self.teacherSpecJSON = teacherSpecJSON
        self.teacherParameters = teacherParameters
        self.teacherState = teacherState
    }
}
