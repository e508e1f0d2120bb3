/// The student's parameters and state at one version, sent to a worker whose copy is stale.
public struct ParametersPayload: Equatable, Sendable {
    /// The parameter version (repeats the header's parameter version).
    public let version: UInt64
    /// Every student parameter, flattened in the model's parameter order.
    public let parameters: [Float]
    /// The student's non-trained state (e.g. BatchNorm running statistics), flattened.
    public let state: [Float]

    /// A parameters message's payload.
    public init(version: UInt64, parameters: [Float], state: [Float]) {
        self.version = version
        self.parameters = parameters
        self.state = state
    }
}
