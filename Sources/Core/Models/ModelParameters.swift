/// The flat storage of one model's trainable values and BatchNorm running statistics.
///
/// Several ``Network`` replicas (one per thread) bind to the same `ModelParameters`; during a
/// step they only read it. The optimiser and the running-statistics update write it between steps.
public final class ModelParameters {
    /// Names, shapes and offsets of the arrays.
    public let layout: ParameterLayout
    /// Trainable values, `layout.parameterCount` of them.
    public let values: UnsafeMutableBufferPointer<Float>
    /// Running statistics, `layout.stateCount` of them.
    public let state: UnsafeMutableBufferPointer<Float>
    /// What keeps `values` valid when this object does not own them, else nil.
    private let valuesOwner: AnyObject?

    /// Zero-filled storage for `layout`.
    public init(layout: ParameterLayout) {
        self.layout = layout
        values = .allocate(capacity: max(layout.parameterCount, 1))
        state = .allocate(capacity: max(layout.stateCount, 1))
        values.initialize(repeating: 0)
        state.initialize(repeating: 0)
        valuesOwner = nil
    }

    /// Values kept where they lie, at `values` (`layout.parameterCount` floats that `owner`
    /// keeps valid), with zero-filled state of its own: the run's shared parameters region, as
    /// a local-mode worker's read-only view (nothing may write it) or as a local-mode
    /// coordinator's master (its optimiser writes it).
    init(layout: ParameterLayout, values: UnsafeMutableBufferPointer<Float>, keeping owner: AnyObject) {
        self.layout = layout
        self.values = values
        state = .allocate(capacity: max(layout.stateCount, 1))
        state.initialize(repeating: 0)
        valuesOwner = owner
    }

    deinit {
        if valuesOwner == nil { values.deallocate() }
        state.deallocate()
    }

    /// Fills every array from its initialiser, keyed by (seed, array index), so a model's
    /// initial values depend only on the seed.
    public func initialize(seed: UInt64) {
        func fill(_ entries: [ParameterLayout.Entry], _ buffer: UnsafeMutableBufferPointer<Float>, stream: UInt64) {
            for (index, entry) in entries.enumerated() {
                let random = KeyedRandom(seed: seed, RandomStream.initialization, stream, UInt64(index))
                let base = buffer.baseAddress! + entry.offset
                for i in 0..<entry.count { base[i] = entry.initializer.value(i, random: random) }
            }
        }
        fill(layout.parameters, values, stream: 0)
        fill(layout.state, state, stream: 1)
    }

    /// Copies values and state from `other`, which must have the same layout.
    public func copy(from other: ModelParameters) {
        precondition(other.layout == layout, "copying parameters between different layouts")
        values.baseAddress!.update(from: other.values.baseAddress!, count: layout.parameterCount)
        state.baseAddress!.update(from: other.state.baseAddress!, count: layout.stateCount)
    }

    /// SHA-256 (hex) of the trainable values followed by the running statistics, each in
    /// layout order as little-endian float32 bytes. This is `params_sha256` in `summary.json`.
    public func sha256() -> String {
        ModelParameters.sha256(values: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: values[0..<layout.parameterCount])),
                               state: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: state[0..<layout.stateCount])))
    }

    /// ``sha256()`` of values and running statistics held elsewhere (a checkpoint), as raw float32 bytes.
    static func sha256(values: UnsafeRawBufferPointer, state: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256Hasher()
        hasher.update(values)
        hasher.update(state)
        return SHA256.hexString(hasher.finalize())
    }
}
