import Core

/// `import --format pytorch`: a PyTorch state dict saved as safetensors, mapped onto a Distill
/// spec by layer order (see docs/INTEROP.md).
///
/// The arrays are grouped by module (the name up to its last dot: `features.3.weight` belongs to
/// `features.3`) and the modules put in order by their names, comparing numeric parts as numbers
/// (`2` before `10`), which is the layer order of a `torch.nn.Sequential`. The modules with arrays
/// are then matched one by one to the spec's layers with arrays: a convolution takes `weight`
/// `[out, in, k, k]` and optionally `bias`, a linear layer `weight [out, in]` and optionally `bias`,
/// a BatchNorm `weight`, `bias`, `running_mean`, `running_var` and optionally `num_batches_tracked`.
public enum PyTorchImport {
    /// Reads `path` onto `spec` (nil: the spec in the file's `distill.spec` metadata, as `export`
    /// writes it).
    /// - Parameters:
    ///   - inputShape: `[C, H, W]` (nil: the file's `distill.input_shape` metadata).
    ///   - preprocessing: the model's input normalisation `(x/255 − mean)/std` (nil: the file's
    ///     metadata, else `x/255`, as torchvision's `ToTensor`).
    /// - Throws: ``SafeTensorsError``, ``ModelSpecError``, ``InteropError`` naming the module and array.
    public static func read(_ path: String, spec given: ModelSpec?, inputShape givenShape: [Int]?,
                            preprocessing: Normalization?) throws -> PortableModel {
        let file = try SafeTensors.decode(try AtomicFile.read(path), source: path, acceptingIntegers: true)
        func fail(_ detail: String) -> InteropError { .badFile(file: path, detail: detail) }
        let spec: ModelSpec
        if let given {
            spec = given
        } else if let text = file.metadata[ModelFile.Key.spec] {
            spec = try ModelSpec.parse(text, source: "\(path) metadata")
        } else {
            throw fail("no model spec in the file's metadata: pass --spec (a preset name or a spec file) for its layers")
        }
        let hwc: [Int]
        if let givenShape {
            guard givenShape.count == 3 else { throw fail("input shape \(givenShape), expected C,H,W") }
            hwc = [givenShape[1], givenShape[2], givenShape[0]]
        } else if let text = file.metadata[ModelFile.Key.inputShape] {
            let values = text.split(separator: ",").compactMap { Int($0) }
            guard values.count == 3 else { throw fail("metadata \(ModelFile.Key.inputShape) '\(text)' is not H,W,C") }
            hwc = values
        } else {
            throw fail("no input shape in the file's metadata: pass --input-shape C,H,W")
        }
        let modules = try groupedModules(file, path: path)
        guard let classes = modules.last(where: { $0.arrays["weight"]?.shape.count == 2 })?.arrays["weight"]?.shape[0] else {
            throw fail("no linear layer (a 2-D weight) holds the logits")
        }
        // The spec's layers with zero arrays in PyTorch's layouts; a spec needing more values than
        // the file holds is refused while it is built, before anything is allocated.
        let stored = file.tensors.reduce(0) { $0 + $1.values.count }
        let network: Network
        do { network = try Network(spec: spec, inputShape: hwc, classes: classes, valueLimit: stored) } catch let error as ModelSpecError {
            throw fail("\(spec.name): \(error)")
        }
        let normalization = preprocessing ?? metadataNormalization(file.metadata) ?? .unit(channels: hwc[2])
        let skeleton = try PortableModel(
            ModelFile(spec: spec, inputShape: hwc, classes: classes, normalization: normalization, role: "teacher",
                      parameters: ModelParameters(layout: network.layout)),
            format: "pytorch")
        var remaining = modules[...]
        var layers: [PortableLayer] = []
        for (index, layer) in skeleton.layers.enumerated() {
            func take(_ names: [String], optional: [String]) throws -> [String: PortableTensor] {
                guard let module = remaining.popFirst() else {
                    throw InteropError.badLayer(source: path, index: index, kind: layer.kind, detail: "no module of the file is left for it")
                }
                let expected = Set(names + optional)
                guard Set(names).isSubset(of: module.arrays.keys), Set(module.arrays.keys).isSubset(of: expected) else {
                    throw InteropError.badLayer(source: path, index: index, kind: layer.kind,
                                                detail: "module '\(module.name)' has arrays \(module.arrays.keys.sorted()), expected \(names)"
                                                    + (optional.isEmpty ? "" : " and optionally \(optional)"))
                }
                return module.arrays
            }
            func check(_ t: PortableTensor?, like skeleton: PortableTensor?, _ what: String) throws -> PortableTensor? {
                guard t?.shape == skeleton?.shape else {
                    throw InteropError.badLayer(source: path, index: index, kind: layer.kind,
                                                detail: "\(what) has shape \(t.map { "\($0.shape)" } ?? "none"), the spec needs \(skeleton.map { "\($0.shape)" } ?? "none")")
                }
                return t
            }
            switch layer {
            case let .conv(window, weight, bias):
                let a = try take(["weight"] + (bias == nil ? [] : ["bias"]), optional: [])
                layers.append(.conv(window: window, weight: try check(a["weight"], like: weight, "weight")!,
                                    bias: try check(a["bias"], like: bias, "bias")))
            case let .linear(weight, bias):
                let a = try take(["weight"] + (bias == nil ? [] : ["bias"]), optional: [])
                layers.append(.linear(weight: try check(a["weight"], like: weight, "weight")!, bias: try check(a["bias"], like: bias, "bias")))
            case let .batchNorm(spatial, epsilon, momentum, weight, _, _, _):
                let a = try take(["weight", "bias", "running_mean", "running_var"], optional: ["num_batches_tracked"])
                layers.append(.batchNorm(spatial: spatial, epsilon: epsilon, momentum: momentum,
                                         weight: try check(a["weight"], like: weight, "weight")!, bias: try check(a["bias"], like: weight, "bias")!,
                                         runningMean: try check(a["running_mean"], like: weight, "running_mean")!,
                                         runningVar: try check(a["running_var"], like: weight, "running_var")!))
            default:
                layers.append(layer)
            }
        }
        if let extra = remaining.first {
            throw fail("module '\(extra.name)' is left over after the spec's last layer with weights (\(spec.name) has fewer layers than the file)")
        }
        return PortableModel(name: spec.name, inputShape: skeleton.inputShape, classes: classes, normalization: normalization, layers: layers)
    }

    /// One module of a state dict: its name and arrays by attribute. `num_batches_tracked` (int64)
    /// stands as an empty float array: only its presence matters.
    struct Module {
        let name: String
        var arrays: [String: PortableTensor]
    }

    /// The state dict's modules in layer order (numeric-aware order of their names).
    static func groupedModules(_ file: SafeTensors, path: String) throws -> [Module] {
        var byName: [String: Module] = [:]
        func add(_ tensorName: String, _ tensor: PortableTensor) throws {
            guard let dot = tensorName.lastIndex(of: ".") else {
                throw InteropError.badFile(file: path, detail: "array '\(tensorName)' has no module prefix (expected module.weight)")
            }
            let module = String(tensorName[..<dot]), attribute = String(tensorName[tensorName.index(after: dot)...])
            byName[module, default: Module(name: module, arrays: [:])].arrays[attribute] = tensor
        }
        for t in file.tensors { try add(t.name, PortableTensor(shape: t.shape, values: t.values)) }
        for t in file.integerTensors {
            guard t.name.hasSuffix(".num_batches_tracked"), t.values.count == 1 else {
                throw InteropError.badFile(file: path, detail: "int64 array '\(t.name)': only a BatchNorm's scalar num_batches_tracked is expected")
            }
            try add(t.name, PortableTensor(shape: [], values: []))
        }
        return byName.values.sorted { layerOrder($0.name, $1.name) }
    }

    /// True when module path `a` comes before `b`: dotted parts compared in turn, numerically when both are numbers.
    static func layerOrder(_ a: String, _ b: String) -> Bool {
        let (pa, pb) = (a.split(separator: "."), b.split(separator: "."))
        for (x, y) in zip(pa, pb) where x != y {
            if let i = Int(x), let j = Int(y) { return i < j }
            return x < y
        }
        return pa.count < pb.count
    }

    /// The normalisation in Distill's metadata keys, nil when the file has none.
    private static func metadataNormalization(_ metadata: [String: String]) -> Normalization? {
        guard let mean = metadata[ModelFile.Key.mean], let std = metadata[ModelFile.Key.std] else { return nil }
        let parse = { (text: String) -> [Float] in text.split(separator: ",").compactMap { Float($0) } }
        return Normalization(mean: parse(mean), std: parse(std))
    }
}
