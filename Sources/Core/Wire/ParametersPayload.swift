/// The student's parameters and state at one version, sent to a worker whose copy is stale.
public struct ParametersPayload: Equatable, Sendable {
    /// The parameter version (repeats the header's parameter version).
    public let version: UInt64
    /// Every student parameter, flattened in the model's parameter order (read in place from
    /// the received message).
    public let parameters: FloatValues
    /// The student's non-trained state (e.g. BatchNorm running statistics), flattened.
    public let state: FloatValues

    /// A parameters message's payload.
    public init(version: UInt64, parameters: FloatValues, state: FloatValues) {
        self.version = version
        self.parameters = parameters
        self.state = state
    }
}
