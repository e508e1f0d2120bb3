/// A worker's introduction: who it is, what it speaks, which models it expects and what it
/// computes on.
public struct JoinPayload: Equatable, Sendable {
    /// A human-readable worker name for logs (at most ``WireLimits/maxNameBytes`` UTF-8 bytes).
    public let workerName: String
    /// The protocol version the worker speaks.
    public let protocolVersion: UInt16
    /// Compute threads the worker will use.
    public let threads: Int
    /// Hash of the model specs the worker was built or configured for; empty = accept any.
    public let specHash: String
    /// The worker's ``ComputeFingerprint`` (CPU model and BLAS kernel): two workers with equal
    /// fingerprints must agree bit for bit on a shard.
    public let computeFingerprint: String
    /// Whether the worker can read the run's parameters from, and leave its gradients in, the
    /// local-mode shared-memory folder it was started with (`distill-worker --shared-memory`).
    /// Carried by the header's ``WireHeader/sharedMemoryFlag``, not by a payload field.
    public let sharesMemory: Bool

    /// A join message's payload.
    public init(workerName: String, protocolVersion: UInt16 = WireLimits.protocolVersion, threads: Int, specHash: String = "",
                computeFingerprint: String = "", sharesMemory: Bool = false) {
        self.sharesMemory = sharesMemory
        self.workerName = workerName
        self.protocolVersion = protocolVersion
        self.threads = threads
        self.specHash = specHash
        self.computeFingerprint = computeFingerprint
    }
}
