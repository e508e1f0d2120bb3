import Foundation
import Yams

/// A declarative model description, read from YAML or JSON (see `docs/MODELS.md`).
///
/// ```yaml
/// name: tiny
/// layers:
///   - {type: conv2d, filters: 16, kernel: 3}
///   - {type: batchnorm}
///   - {type: relu}
///   - {type: globalavgpool}
///   - {type: dense}          # no units: one output per class of the data set
/// ```
/// Input shape and class count are not part of the spec; they come from the data set.
public struct ModelSpec: Codable, Equatable, Sendable {
    /// A name for logs and exported files.
    public var name: String
    /// The layers, input first.
    public var layers: [LayerSpec]

    public init(name: String, layers: [LayerSpec]) {
        self.name = name
        self.layers = layers
    }

    /// Parses a spec from YAML (JSON is a subset of YAML), naming `source` in errors.
    public static func parse(_ text: String, source: String) throws -> ModelSpec {
        do {
            return try YAMLDecoder().decode(ModelSpec.self, from: text)
        } catch let error as ModelSpecError {
            throw error
        } catch let DecodingError.dataCorrupted(context) {
            throw ModelSpecError.invalid(source: source, detail: ModelSpecError.describe(context))
        } catch let DecodingError.keyNotFound(key, context) {
            throw ModelSpecError.invalid(source: source, detail: "missing key '\(key.stringValue)' at \(ModelSpecError.path(context))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ModelSpecError.invalid(source: source, detail: ModelSpecError.describe(context))
        } catch let DecodingError.valueNotFound(_, context) {
            throw ModelSpecError.invalid(source: source, detail: ModelSpecError.describe(context))
        } catch {
            throw ModelSpecError.invalid(source: source, detail: "\(error)")
        }
    }

    /// Loads a spec: a preset name (see ``ModelPresets``) or a path to a YAML/JSON file.
    public static func load(_ nameOrPath: String) throws -> ModelSpec {
        if let preset = ModelPresets.named(nameOrPath) { return preset }
        guard FileManager.default.fileExists(atPath: nameOrPath) else {
            throw ModelSpecError.unknownModel(nameOrPath, presets: ModelPresets.names)
        }
        let text: String
        do { text = try String(contentsOfFile: nameOrPath, encoding: .utf8) } catch {
            throw ModelSpecError.invalid(source: nameOrPath, detail: "cannot read: \(error.localizedDescription)")
        }
        return try parse(text, source: nameOrPath)
    }

    /// This spec with every layer that has weights and names no `init` set to `default`:
    /// the spec a run trains, so its saved spec says how each layer was initialised.
    public func withDefaultInit(_ default: WeightInit) -> ModelSpec {
        ModelSpec(name: name, layers: layers.map { $0.withDefaultInit(`default`) })
    }

    /// Canonical JSON (sorted keys), used for hashing and for the wire.
    public func canonicalJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Non-finite options (a spec read but not yet built) are written as strings, so that
        // encoding strings, integers and floats cannot fail.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Human-readable YAML, written next to exported weights.
    public func yaml() -> String {
        (try? YAMLEncoder().encode(self)) ?? canonicalJSON()
    }
}

/// Errors reading or building a model spec; messages name the source and the layer.
public enum ModelSpecError: Error, CustomStringConvertible, Equatable {
    case unknownModel(String, presets: [String])
    case invalid(source: String, detail: String)
    case badLayer(index: Int, type: String, detail: String)

    public var description: String {
        switch self {
        case let .unknownModel(name, presets):
            return "unknown model '\(name)': not a preset (\(presets.joined(separator: ", "))) nor a readable spec file"
        case let .invalid(source, detail):
            return "\(source): invalid model spec: \(detail)"
        case let .badLayer(index, type, detail):
            return "layer \(index) (\(type)): \(detail)"
        }
    }

    static func path(_ context: DecodingError.Context) -> String {
        let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return p.isEmpty ? "top level" : p
    }

    static func describe(_ context: DecodingError.Context) -> String {
        "\(context.debugDescription) at \(path(context))"
    }
}
