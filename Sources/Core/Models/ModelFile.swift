/// A trained model on disk: one `.safetensors` file holding every array of the layout
/// (trainable values, then running statistics, by layout name) and, in its metadata, the
/// spec, input shape, class count and input normalisation needed to use it alone.
public struct ModelFile {
    /// Metadata keys written into the safetensors header.
    public enum Key {
        public static let format = "distill.format"
        public static let spec = "distill.spec"
        public static let inputShape = "distill.input_shape"
        public static let classes = "distill.classes"
        public static let mean = "distill.normalization_mean"
        public static let std = "distill.normalization_std"
        public static let role = "distill.role"
    }

    public var spec: ModelSpec
    public var inputShape: [Int]
    public var classes: Int
    public var normalization: Normalization
    public var role: String
    public var parameters: ModelParameters

    public init(spec: ModelSpec, inputShape: [Int], classes: Int, normalization: Normalization, role: String, parameters: ModelParameters) {
        self.spec = spec
        self.inputShape = inputShape
        self.classes = classes
        self.normalization = normalization
        self.role = role
        self.parameters = parameters
    }

    /// Writes the file atomically (temp file, fsync, rename).
    public func write(to path: String) throws {
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for e in parameters.layout.parameters {
            tensors.append((e.name, e.shape, Array(parameters.values[e.range])))
        }
        for e in parameters.layout.state {
            tensors.append((e.name, e.shape, Array(parameters.state[e.range])))
        }
        let list = { (v: [Float]) in v.map { String($0) }.joined(separator: ",") }
        let metadata = [
            Key.format: "1", Key.spec: spec.canonicalJSON(),
            Key.inputShape: inputShape.map(String.init).joined(separator: ","),
            Key.classes: String(classes), Key.mean: list(normalization.mean), Key.std: list(normalization.std),
            Key.role: role,
        ]
        try AtomicFile.write(SafeTensors(tensors: tensors, metadata: metadata).encoded(), to: path)
    }

    /// Reads and validates a model file: every array of the spec's layout must be present
    /// with the right shape, the input shape must be `[H, W, C]` and the normalisation valid.
    /// - Throws: ``SafeTensorsError``, ``ModelFileError``, ``ModelSpecError`` (a spec that does
    ///   not build), `DataError.badNormalization`; sizes are compared before allocating.
    public static func read(_ path: String) throws -> ModelFile {
        let st = try SafeTensors.decode(try AtomicFile.read(path), source: path)
        func meta(_ key: String) throws -> String {
            guard let v = st.metadata[key] else { throw ModelFileError(path: path, detail: "metadata '\(key)' is missing (not a Distill model file?)") }
            return v
        }
        func ints(_ key: String) throws -> [Int] {
            let parts = try meta(key).split(separator: ",")
            let values = parts.compactMap { Int($0) }.filter { $0 > 0 }
            guard values.count == parts.count else { throw ModelFileError(path: path, detail: "metadata '\(key)' is not a list of positive integers") }
            return values
        }
        func floats(_ key: String) throws -> [Float] {
            let parts = try meta(key).split(separator: ",")
            let values = parts.compactMap { Float($0) }.filter(\.isFinite)
            guard values.count == parts.count else { throw ModelFileError(path: path, detail: "metadata '\(key)' is not a list of numbers") }
            return values
        }
        guard try meta(Key.format) == "1" else { throw ModelFileError(path: path, detail: "unsupported format version \(st.metadata[Key.format] ?? "")") }
        let spec = try ModelSpec.parse(try meta(Key.spec), source: "\(path) metadata")
        let inputShape = try ints(Key.inputShape)
        guard let classesValue = try ints(Key.classes).first else { throw ModelFileError(path: path, detail: "no class count") }
        guard inputShape.count == 3 else { throw ModelFileError(path: path, detail: "metadata '\(Key.inputShape)' is \(inputShape), expected [H, W, C]") }
        let normalization = Normalization(mean: try floats(Key.mean), std: try floats(Key.std))
        try normalization.validate(channels: inputShape[2], source: path)
        // The tensors tile the file's data section (checked by the decoder), so the spec's sizes
        // are compared with the file's while its layers are built, before its parameters are allocated.
        let stored = st.tensors.reduce(0) { $0 + $1.values.count }
        let network: Network
        do { network = try Network(spec: spec, inputShape: inputShape, classes: classesValue, valueLimit: stored) } catch let error as ModelSpecError {
            throw ModelFileError(path: path, detail: "\(spec.name): \(error)")
        }
        guard stored == network.layout.parameterCount + network.layout.stateCount else {
            throw ModelFileError(path: path, detail: "the file holds \(stored) values, \(spec.name) needs "
                + "\(network.layout.parameterCount) parameters + \(network.layout.stateCount) statistics")
        }
        let parameters = ModelParameters(layout: network.layout)
        var byName: [String: (shape: [Int], values: [Float])] = [:]
        for t in st.tensors { byName[t.name] = (t.shape, t.values) }
        func fill(_ entries: [ParameterLayout.Entry], _ buffer: UnsafeMutableBufferPointer<Float>) throws {
            for e in entries {
                guard let t = byName.removeValue(forKey: e.name) else { throw ModelFileError(path: path, detail: "array '\(e.name)' is missing") }
                guard t.shape == e.shape else { throw ModelFileError(path: path, detail: "array '\(e.name)' has shape \(t.shape), the spec needs \(e.shape)") }
                for i in 0..<e.count { buffer[e.offset + i] = t.values[i] }
            }
        }
        try fill(network.layout.parameters, parameters.values)
        try fill(network.layout.state, parameters.state)
        if let extra = byName.keys.sorted().first { throw ModelFileError(path: path, detail: "unexpected array '\(extra)'") }
        return ModelFile(spec: spec, inputShape: inputShape, classes: classesValue, normalization: normalization,
                         role: st.metadata[Key.role] ?? "", parameters: parameters)
    }
}

/// A model file that cannot be used, with the path and the reason.
public struct ModelFileError: Error, CustomStringConvertible {
    public let path: String
    public let detail: String
    public var description: String { "\(path): \(detail)" }
}
