/// Why a checkpoint cannot be read or resumed from; ``description`` names the file and what differs.
public struct CheckpointError: Error, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Problem: Equatable, Sendable {
        /// Neither `checkpoint.safetensors` nor `checkpoint.prev.safetensors` exists in the folder.
        case none
        /// The file cannot be read (the system's error text).
        case unreadable(String)
        /// The bytes are not a well-formed checkpoint: bad safetensors structure, truncation, or a
        /// missing or malformed tensor or metadata field.
        case malformed(String)
        /// `payload_sha256` does not match the contents.
        case checksumMismatch(stored: String, computed: String)
        /// `distill.checkpoint_format` is not the version this build reads.
        case unsupportedFormat(found: String, supported: String)
        /// The checkpoint was written under another configuration than the one resuming it.
        case configMismatch(checkpoint: String, config: String)
        /// The checkpoint does not fit the model or data of the run resuming it.
        case incompatible(String)
    }

    /// The checkpoint file (or, for ``Problem/none``, the folder).
    public let path: String
    public let problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    /// True for damage (an unreadable, malformed or checksum-failing file), after which resuming
    /// may fall back to the previous checkpoint; false for a file that is intact but does not fit.
    public var isDamage: Bool {
        switch problem {
        case .unreadable, .malformed, .checksumMismatch: return true
        case .none, .unsupportedFormat, .configMismatch, .incompatible: return false
        }
    }

    public var description: String {
        switch problem {
        case .none:
            return "\(path): no checkpoint.safetensors or checkpoint.prev.safetensors, nothing to resume"
        case let .unreadable(reason):
            return "\(path): cannot read checkpoint: \(reason)"
        case let .malformed(reason):
            return "\(path): corrupt checkpoint: \(reason)"
        case let .checksumMismatch(stored, computed):
            return "\(path): corrupt checkpoint: payload_sha256 is \(stored) but the contents hash to \(computed)"
        case let .unsupportedFormat(found, supported):
            return "\(path): checkpoint format '\(found)' is not supported (this build reads format \(supported))"
        case let .configMismatch(checkpoint, config):
            return "\(path): checkpoint was written for configuration sha256 \(checkpoint), "
                + "but config.yaml now hashes to \(config) (was config.yaml edited? a resumed run keeps its configuration)"
        case let .incompatible(reason):
            return "\(path): checkpoint does not fit this run: \(reason)"
        }
    }
}
