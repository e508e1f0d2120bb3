/// A trained model on disk: one `.safetensors` file holding every array of the layout
/// (trainable values, then running statistics, by layout name) and, in its metadata, the
/// spec, input shape, class count and input normalisation needed to use it alone.
public struct ModelFile {
    /// Metadata keys written into the safetensors header.
    enum Key {
        static let format = "distill.format"
        static let spec = "distill.spec"
        static let inputShape = "distill.input_shape"
        static let classes = "distill.classes"
        static let mean = "distill.normalization_mean"
        static let std = "distill.normalization_std"
        static let role = "distill.role"
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
    /// with the right shape.
    public static func read(_ path: String) throws -> ModelFile {
        let st = try SafeTensors.decode(try AtomicFile.read(path), source: path)
        func meta(_ key: String) throws -> String {
            guard let v = st.metadata[key] else { throw ModelFileError(path: path, detail: "metadata '\(key)' is missing (not a Distill model file?)") }
            return v
        }
        func ints(_ key: String) throws -> [Int] {
            let parts = try meta(key).split(separator: ",").map { Int($0) }
            guard parts.allSatisfy({ $0 != nil && $0! > 0 }) else { throw ModelFileError(path: path, detail: "metadata '\(key)' is not a list of positive integers") }
            return parts.map { $0! }
        }
        func floats(_ key: String) throws -> [Float] {
            let parts = try meta(key).split(separator: ",").map { Float($0) }
            guard parts.allSatisfy({ $0 != nil && $0!.isFinite }) else { throw ModelFileError(path: path, detail: "metadata '\(key)' is not a list of numbers") }
            return parts.map { $0! }
        }
        guard try meta(Key.format) == "1" else { throw ModelFileError(path: path, detail: "unsupported format version \(st.metadata[Key.format] ?? "")") }
        let spec = try ModelSpec.parse(try meta(Key.spec), source: "\(path) metadata")
        let inputShape = try ints(Key.inputShape)
        guard let classesValue = try ints(Key.classes).first else { throw ModelFileError(path: path, detail: "no class count") }
        let mean = try floats(Key.mean)
        let std = try floats(Key.std)
        guard mean.count == inputShape.last, std.count == inputShape.last else {
            throw ModelFileError(path: path, detail: "normalisation has \(mean.count) channels, input \(inputShape)")
        }
        guard std.allSatisfy({ $0 > 0 }) else {
            throw ModelFileError(path: path, detail: "metadata '\(Key.std)' = \(std) has a standard deviation ≤ 0")
        }
        let normalization = Normalization(mean: mean, std: std)
        let network = try Network(spec: spec, inputShape: inputShape, classes: classesValue)
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
