import Foundation
import Yams

/// Errors in a run configuration; each names the key and where it came from.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case unknownKey(String, source: String)
    case badValue(key: String, value: String, expected: String, source: String)
    case badOverride(String)
    case unreadable(path: String, detail: String)
    case invalid(source: String, detail: String)

    public var description: String {
        switch self {
        case let .unknownKey(key, source):
            let known = "\(source): unknown configuration key '\(key)'"
            let suggestions = ConfigSchema.suggestions(for: key)
            if !suggestions.isEmpty { return known + "; did you mean \(suggestions.joined(separator: " or "))?" }
            let section = key.split(separator: ".").first.map(String.init) ?? key
            let near = ConfigSchema.keys.map(\.name).filter { $0.hasPrefix(section + ".") }
            return known + (near.isEmpty ? " (docs/CONFIG.md lists every key)" : " (keys in that section: \(near.joined(separator: ", ")))")
        case let .badValue(key, value, expected, source):
            return "\(source): \(key) = '\(value)' is invalid: expected \(expected)"
        case let .badOverride(text):
            return "--set \(text): expected key=value, e.g. --set train.steps=20"
        case let .unreadable(path, detail):
            return "\(path): cannot read configuration: \(detail)"
        case let .invalid(source, detail):
            return "\(source): \(detail)"
        }
    }
}

/// A fully resolved run configuration: every key of ``ConfigSchema`` with a checked value.
///
/// Built from defaults, then a YAML file (nested mappings, e.g. `train: {steps: 20}`), then
/// `--set key=value` overrides, in that order. ``yaml()`` writes it back so that
/// `train --config DIR/config.yaml` reproduces a run.
public struct RunConfig: Equatable, Sendable {
    private var values: [String: ConfigValue]

    /// All defaults.
    public init() {
        values = Dictionary(uniqueKeysWithValues: ConfigSchema.keys.map { ($0.name, $0.defaultValue) })
    }

    /// Defaults overridden by the YAML file at `path` (if any) and then by `overrides` (`key=value`).
    public static func load(path: String?, overrides: [String] = []) throws -> RunConfig {
        var config = RunConfig()
        if let path {
            guard FileSystem.exists(path) else { throw ConfigError.unreadable(path: path, detail: "no such file") }
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ConfigError.unreadable(path: path, detail: error.localizedDescription)
            }
            try config.merge(yaml: text, source: path)
        }
        for o in overrides { try config.apply(override: o) }
        try config.validate(source: overrides.isEmpty ? path ?? "defaults" : path.map { "\($0) and --set" } ?? "--set")
        return config
    }

    /// Checks the rules between keys (``ConfigSchema/rules``); each key's own range is checked
    /// when it is set. Throws ``ConfigError/badValue`` naming the key, its value and what the
    /// rule allows; `source` says where the configuration came from.
    public func validate(source: String) throws {
        for rule in ConfigSchema.rules where !rule.holds(self) {
            throw ConfigError.badValue(key: rule.key, value: self[rule.key].description, expected: rule.expectation, source: source)
        }
    }

    /// Merges a YAML document of nested mappings into this configuration.
    public mutating func merge(yaml text: String, source: String) throws {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError.invalid(source: source, detail: "not valid YAML: \(error)")
        }
        guard let node else { return }
        guard case .mapping = node else { throw ConfigError.invalid(source: source, detail: "the top level must be a mapping of keys") }
        try merge(node: node, prefix: "", source: source)
    }

    private mutating func merge(node: Node, prefix: String, source: String) throws {
        guard case let .mapping(mapping) = node else { return }
        for (k, v) in mapping {
            guard let name = k.string else { throw ConfigError.invalid(source: source, detail: "non-string key under '\(prefix)'") }
            let full = prefix.isEmpty ? name : "\(prefix).\(name)"
            switch v {
            case .mapping:
                guard ConfigSchema.keys.contains(where: { $0.name.hasPrefix(full + ".") }) else {
                    throw ConfigError.unknownKey(full, source: source)
                }
                try merge(node: v, prefix: full, source: source)
            case let .scalar(scalar):
                try set(full, text: scalar.string, source: source)
            case .sequence, .alias:
                throw ConfigError.badValue(key: full, value: "a list", expected: "a single value", source: source)
            }
        }
    }

    /// Applies one `key=value` override.
    public mutating func apply(override text: String) throws {
        guard let eq = text.firstIndex(of: "=") else { throw ConfigError.badOverride(text) }
        let key = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw ConfigError.badOverride(text) }
        try set(key, text: String(text[text.index(after: eq)...]), source: "--set")
    }

    /// Sets `key` from its text form, checking the key and the value.
    public mutating func set(_ key: String, text: String, source: String = "--set") throws {
        guard let schema = ConfigSchema.key(named: key) else { throw ConfigError.unknownKey(key, source: source) }
        values[key] = try schema.type.parse(text, key: key, source: source)
    }

    // The accessors below trap on a key that is not in the schema or a type that does not match
    // it: both are programming errors (the names are literals in the code), never input.

    /// The value of `key` (which must be in the schema).
    public subscript(key: String) -> ConfigValue {
        guard let v = values[key] else { preconditionFailure("configuration key '\(key)' is not in ConfigSchema") }
        return v
    }

    public func int(_ key: String) -> Int {
        if case let .int(v) = self[key] { return v }
        preconditionFailure("\(key) is not an integer key")
    }

    public func float(_ key: String) -> Float { Float(double(key)) }

    public func double(_ key: String) -> Double {
        switch self[key] {
        case let .float(v): return v
        case let .int(v): return Double(v)
        default: preconditionFailure("\(key) is not a number key")
        }
    }

    public func bool(_ key: String) -> Bool {
        if case let .bool(v) = self[key] { return v }
        preconditionFailure("\(key) is not a boolean key")
    }

    public func string(_ key: String) -> String {
        if case let .string(v) = self[key] { return v }
        preconditionFailure("\(key) is not a string key")
    }

    /// Whether any `augment.*` transform is on (a shift, flips or pad-crop).
    public var augments: Bool {
        double("augment.width_shift") > 0 || double("augment.height_shift") > 0 || bool("augment.horizontal_flip")
            || int("augment.pad_crop") > 0
    }

    /// The configuration as nested YAML, every key present, in schema order, emitted by Yams
    /// (text values double-quoted, numbers and booleans plain, no line folding).
    public func yaml() -> String {
        // (top-level name, value or section entries), in schema order.
        var top: [(name: String, value: Node?, section: [(Node, Node)])] = []
        for key in ConfigSchema.keys {
            let parts = key.name.split(separator: ".", maxSplits: 1).map(String.init)
            let value: Node
            if case let .string(text) = self[key.name] { value = Node(text, .implicit, .doubleQuoted) } else { value = Node(self[key.name].description) }
            if parts.count == 1 {
                top.append((parts[0], value, []))
            } else if top.last?.name == parts[0], top.last?.value == nil {
                top[top.count - 1].section.append((Node(parts[1]), value))
            } else {
                top.append((parts[0], nil, [(Node(parts[1]), value)]))
            }
        }
        let document = Node(top.map { (Node($0.name), $0.value ?? Node($0.section)) })
        do { return try Yams.serialize(node: document, width: -1, allowUnicode: true) } catch {
            // Only a bug can get here: the node is a mapping of plain scalars, which the emitter always writes.
            fatalError("Yams could not emit the configuration: \(error)")
        }
    }

    static func render(_ value: ConfigValue) -> String {
        switch value {
        case let .string(s):
            let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        default:
            return value.description
        }
    }

    /// SHA-256 of the canonical YAML form: identifies the configuration in checkpoints.
    public var hash: String {
        let bytes = Array(yaml().utf8)
        return bytes.withUnsafeBytes { SHA256.hex($0) }
    }
}
