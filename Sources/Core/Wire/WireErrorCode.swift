/// Codes for ``WireMessage/error(code:message:)``, so a peer can react without parsing text.
public enum WireErrorCode: UInt16, Sendable, CaseIterable {
    /// The join's protocol version is not one the coordinator speaks.
    case unsupportedVersion = 1
    /// A header's run id is not the current run's (e.g. a worker left over from an earlier run).
    case wrongRun = 2
    /// The join's spec hash does not match the run's model specs.
    case specMismatch = 3
    /// A message could not be decoded (the text is the ``WireError`` description).
    case malformed = 4
    /// A valid message arrived when the protocol does not allow it (e.g. a task before welcome).
    case unexpected = 5
    /// The sender failed internally (e.g. a worker's computation threw).
    case failed = 6
    /// The coordinator disconnected this worker and refuses it for the rest of the run
    /// (three rejected results, or out-voted by an audit).
    case refusedForRun = 7
}
