/// The type of one configuration key, which decides how its text is parsed and which values
/// it allows. Every range a key has is here, so the schema alone rejects a value the run
/// cannot use (docs/CONFIG.md lists them; a test keeps it equal to ``ConfigSchema/markdownTable()``).
public enum ConfigType: Sendable, Equatable {
    /// An integer in `min...max`.
    case int(min: Int, max: Int = .max)
    /// A finite number in the interval.
    case float(ConfigInterval)
    case bool
    case string
    /// One of these names (see ``ConfigChoice``).
    case choice([String])
    /// 0, a fraction in (0, 1), or a whole count in 1…maxCount.
    case countOrFraction(maxCount: Int)

    /// Parses `text` for `key`, throwing ``ConfigError/badValue`` with the expectation.
    func parse(_ text: String, key: String, source: String) throws -> ConfigValue {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch self {
        case let .int(min, max):
            guard let v = Int(t), v >= min, v <= max else { throw ConfigError.badValue(key: key, value: text, expected: expectation, source: source) }
            return .int(v)
        case let .float(interval):
            guard let v = Double(t), interval.contains(v) else {
                throw ConfigError.badValue(key: key, value: text, expected: expectation, source: source)
            }
            return .float(v)
        case .bool:
            switch t.lowercased() {
            case "true", "yes", "on", "1": return .bool(true)
            case "false", "no", "off", "0": return .bool(false)
            default: throw ConfigError.badValue(key: key, value: text, expected: expectation, source: source)
            }
        case .string:
            return .string(t)
        case let .choice(options):
            guard options.contains(t) else { throw ConfigError.badValue(key: key, value: text, expected: expectation, source: source) }
            return .string(t)
        case let .countOrFraction(maxCount):
            guard let v = Double(t), v.isFinite, v >= 0, v < 1 || (v == v.rounded() && v <= Double(maxCount)) else {
                throw ConfigError.badValue(key: key, value: text, expected: expectation, source: source)
            }
            return .float(v)
        }
    }

    /// The type as the `type` column of docs/CONFIG.md names it.
    public var name: String {
        switch self {
        case .int: return "integer"
        case .float: return "number"
        case .bool: return "boolean"
        case .string: return "text"
        case .choice: return "choice"
        case .countOrFraction: return "count or fraction"
        }
    }

    /// What a valid value looks like, as error messages say it: "an integer in 0…255".
    public var expectation: String {
        switch self {
        case let .int(min, .max): return "an integer ≥ \(min)"
        case let .int(min, max): return "an integer in \(min)…\(max)"
        case let .float(interval): return "a number in \(interval)"
        case .bool: return "true or false"
        case .string: return "text"
        case let .choice(options): return "one of \(options.joined(separator: ", "))"
        case let .countOrFraction(maxCount): return "0, a fraction in (0, 1) or a whole count in 1…\(maxCount)"
        }
    }

    /// The allowed values as the `allowed` column of docs/CONFIG.md shows them.
    public var allowed: String {
        switch self {
        case let .int(min, .max): return "≥ \(min)"
        case let .int(min, max): return "\(min)…\(max)"
        case let .float(interval): return "\(interval)"
        case .bool: return "true, false"
        case .string: return "text"
        case let .choice(options): return options.joined(separator: ", ")
        case let .countOrFraction(maxCount): return "0; (0, 1); 1…\(maxCount)"
        }
    }
}

/// An interval of real numbers with open or closed ends, written as in mathematics: `[0, 1)`.
/// Non-finite numbers are never inside.
public struct ConfigInterval: Sendable, Equatable, CustomStringConvertible {
    public let lower: Double, upper: Double
    public let lowerOpen: Bool, upperOpen: Bool

    /// `[lower, upper]`.
    public static func closed(_ lower: Double, _ upper: Double) -> ConfigInterval {
        ConfigInterval(lower: lower, upper: upper, lowerOpen: false, upperOpen: false)
    }

    /// `[lower, upper)`.
    public static func upperOpen(_ lower: Double, _ upper: Double) -> ConfigInterval {
        ConfigInterval(lower: lower, upper: upper, lowerOpen: false, upperOpen: true)
    }

    /// `(lower, upper]`.
    public static func lowerOpen(_ lower: Double, _ upper: Double) -> ConfigInterval {
        ConfigInterval(lower: lower, upper: upper, lowerOpen: true, upperOpen: false)
    }

    /// Whether `v` is finite and inside.
    public func contains(_ v: Double) -> Bool {
        v.isFinite && (lowerOpen ? v > lower : v >= lower) && (upperOpen ? v < upper : v <= upper)
    }

    public var description: String {
        "\(lowerOpen ? "(" : "[")\(ConfigInterval.format(lower)), \(ConfigInterval.format(upper))\(upperOpen ? ")" : "]")"
    }

    /// `1` rather than `1.0`; other numbers as Swift prints them.
    private static func format(_ v: Double) -> String {
        v == v.rounded() && v.magnitude < 1e15 ? String(Int(v)) : String(v)
    }
}

/// A parsed configuration value.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    case int(Int)
    case float(Double)
    case bool(Bool)
    case string(String)

    public var description: String {
        switch self {
        case let .int(v): return String(v)
        case let .float(v): return String(v)
        case let .bool(v): return String(v)
        case let .string(v): return v
        }
    }
}

/// One known configuration key: its dotted name, type, default and meaning.
public struct ConfigKey: Sendable {
    public let name: String
    public let type: ConfigType
    public let defaultValue: ConfigValue
    public let help: String
}

/// A rule between keys that the range of one key cannot express, checked once the whole
/// configuration is read (``RunConfig/validate(source:)``).
public struct ConfigRule: Sendable {
    /// The key the rule restricts (named in the error).
    public let key: String
    /// What a valid value of ``key`` looks like under the rule, as the error says it.
    public let expectation: String
    /// Whether a configuration obeys the rule.
    let holds: @Sendable (RunConfig) -> Bool
}

/// Every key a run configuration may hold (documented in `docs/CONFIG.md`).
public enum ConfigSchema {
    private static func key(_ name: String, _ type: ConfigType, _ value: ConfigValue, _ help: String) -> ConfigKey {
        ConfigKey(name: name, type: type, defaultValue: value, help: help)
    }

    /// Largest batch (training or evaluation) and shard count: 2¹⁶.
    static let maxBatch = 65_536

    /// The keys, in the order `config.yaml` lists them.
    public static let keys: [ConfigKey] = [
        key("seed", .int(min: 0), .int(1), "Run seed: keys initialisation, data order, augmentation and dropout."),
        key("data.source", .choice(of: DataSource.Format.self), .string("builtin"), "Data set format."),
        key("data.path", .string, .string(""), "Folder of the data set files (cifar10, idx, npy); see docs/DATA.md."),
        key("data.train_size", .int(min: 1, max: 1_000_000), .int(20_000), "Training images generated (builtin only)."),
        key("data.test_size", .int(min: 1, max: 1_000_000), .int(4_000), "Test images generated (builtin only)."),
        key("data.data_seed", .int(min: 0), .int(2024), "Seed of the built-in data set (builtin only)."),
        key("data.limit", .int(min: 0), .int(0), "Use only the first N training images (0: all), before data.validation holds some out."),
        key("data.validation", .countOrFraction(maxCount: 1_000_000), .float(0.1),
            "Training images held out for the evaluations during the run: a fraction in (0, 1) or a count ≥ 1, drawn by seed (0: none, and no evaluation before the end). The test split is evaluated once, at the end."),
        key("data.normalize", .bool, .bool(true), "Per-channel mean/std normalisation fitted on the training set (false: x/255)."),
        key("model.spec", .string, .string("seed-student"), "Model to train: a preset name or a YAML/JSON spec file."),
        key("model.role", .choice(of: ModelRole.self), .string("auto"),
            "Names the output weights teacher.safetensors or student.safetensors (auto: teacher when no teacher is given)."),
        key("model.init", .choice(of: WeightInit.self), .string(WeightInit.standard.rawValue),
            "Initialisation of every conv2d, dense and basicblock layer whose spec names no init (see docs/MODELS.md)."),
        key("teacher.checkpoint", .string, .string(""), "Frozen teacher to distil from: a run folder or .safetensors file (empty: plain training)."),
        key("teacher.cache", .bool, .bool(false),
            "Compute the teacher's logits for each (sample, augmented view) once, keep them in RUN/teacher.cache and send them with later shards so workers skip the teacher (needs augment.views ≥ 1, or augmentation off; see docs/DATA.md)."),
        key("teacher.cache_top_k", .int(min: 0, max: 1 << 20), .int(0),
            "With teacher.cache: store only the k largest teacher probabilities per entry, the rest of the mass spread evenly over the other classes (0: store every logit exactly)."),
        key("distill.temperature", .float(.closed(0.01, 1000)), .float(4), "Softmax temperature T of the soft term."),
        key("distill.alpha", .float(.closed(0, 1)), .float(0.9), "Weight λ of the soft term (ignored without a teacher)."),
        key("train.epochs", .int(min: 1, max: 100_000), .int(10), "Epochs to train (when train.steps is 0)."),
        key("train.steps", .int(min: 0, max: 1_000_000_000), .int(0), "Optimiser steps to train; takes precedence over train.epochs (0: use epochs)."),
        key("train.batch_size", .int(min: 1, max: maxBatch), .int(128), "Global batch size (all shards together)."),
        key("train.shards", .int(min: 0, max: maxBatch), .int(0), "Micro-shards per batch, fixed for the run (0: one per thread in one process; one per local worker, max(--local-workers, --min-workers); with --bind, the compute threads of the first --min-workers workers together, written to config.yaml). Results depend on it, not on the worker count."),
        key("train.wire_gradients", .choice(GradientEncoding.allCases.map(\.configName)), .string("float32"),
            "How shard gradients travel from workers: float32, or bf16 (each shard's gradient sum rounded to bfloat16, half the bytes; the single-process trainer rounds the same way, so results do not depend on the worker count)."),
        key("train.threads", .int(min: 0, max: 1024), .int(0), "Compute threads of the single-process trainer (0: one per core)."),
        key("train.log_every", .int(min: 1), .int(50), "Steps between metric lines."),
        key("train.eval_every", .int(min: 0), .int(0), "Steps between evaluations on the data.validation images (0: at the end of every epoch), and at the last step."),
        key("train.early_stop_patience", .int(min: 0, max: 1_000_000), .int(0),
            "Stop the run after this many evaluations in a row without a better validation accuracy (0: never; needs data.validation)."),
        key("train.divergence_guard", .bool, .bool(true),
            "Stop the run, keeping the last good step, when a step's loss is non-finite or above train.divergence_factor × the median loss so far (exit status 3). Off, only non-finite losses and gradients stop it."),
        key("train.divergence_factor", .float(.closed(1, 1e12)), .float(1000), "Loss / median-loss ratio at which the divergence guard stops a run."),
        key("optimizer.name", .choice(of: OptimizerName.self), .string("adam"), "Optimiser."),
        key("optimizer.learning_rate", .float(.closed(0, 10)), .float(0.003), "Base learning rate."),
        key("optimizer.beta1", .float(.upperOpen(0, 1)), .float(0.9), "Adam β1."),
        key("optimizer.beta2", .float(.upperOpen(0, 1)), .float(0.999), "Adam β2."),
        key("optimizer.epsilon", .float(.lowerOpen(0, 1)), .float(1e-8), "Adam ε."),
        key("optimizer.momentum", .float(.upperOpen(0, 1)), .float(0.9), "SGD momentum."),
        key("optimizer.nesterov", .bool, .bool(false), "SGD Nesterov momentum (needs optimizer.momentum > 0)."),
        key("optimizer.clip_norm", .float(.closed(0, 1e12)), .float(0),
            "Scale the mean gradient down to this global L2 norm when above it, before the optimiser (0: off)."),
        key("optimizer.clip_value", .float(.closed(0, 1e12)), .float(0),
            "Clamp every element of the mean gradient to [-v, v] before the optimiser, and before optimizer.clip_norm (0: off)."),
        key("optimizer.weight_decay", .float(.closed(0, 1)), .float(0), "Weight decay on kernels (L2 for sgd/adam, decoupled for adamw)."),
        key("optimizer.schedule", .choice(of: ScheduleName.self), .string("constant"), "Learning-rate schedule."),
        key("optimizer.warmup_steps", .int(min: 0), .int(0), "Linear warm-up steps (cosine)."),
        key("optimizer.min_learning_rate", .float(.closed(0, 10)), .float(0), "Final learning rate (cosine)."),
        key("optimizer.step_every", .int(min: 1), .int(1000), "Steps between decays (step)."),
        key("optimizer.step_gamma", .float(.closed(0, 1)), .float(0.1), "Decay factor (step)."),
        key("augment.width_shift", .float(.upperOpen(0, 1)), .float(0.1), "Random horizontal shift, fraction of the width."),
        key("augment.height_shift", .float(.upperOpen(0, 1)), .float(0.1), "Random vertical shift, fraction of the height."),
        key("augment.horizontal_flip", .bool, .bool(true), "Random horizontal flips."),
        key("augment.pad_crop", .int(min: 0, max: 1024), .int(0), "Zero-pad by N pixels and crop back at a random offset."),
        key("augment.fill", .choice(of: Augmentation.FillName.self), .string("nearest"), "Fill for pixels shifted in."),
        key("augment.fill_value", .int(min: 0, max: 255), .int(0), "Fill value with augment.fill: constant."),
        key("augment.views", .int(min: 0, max: 1 << 20), .int(0),
            "Augmented views per training sample: epoch e uses view e mod K, keyed by (seed, view, sample) (0: a fresh augmentation every epoch)."),
        key("eval.batch_size", .int(min: 1, max: maxBatch), .int(500), "Images per evaluation batch."),
        key("checkpoint.every", .int(min: 0), .int(0),
            "Steps between checkpoints (checkpoint.safetensors in the run folder; 0: only at the end or when stopped)."),
    ]

    /// The rules between keys, checked after every key has its value.
    public static let rules: [ConfigRule] = [
        ConfigRule(key: "optimizer.momentum", expectation: "a number in (0, 1) when optimizer.nesterov is true",
                   holds: { !$0.bool("optimizer.nesterov") || $0.double("optimizer.momentum") > 0 }),
        ConfigRule(key: "train.shards", expectation: "at most train.batch_size (0: automatic)",
                   holds: { $0.int("train.shards") <= $0.int("train.batch_size") }),
        ConfigRule(key: "train.early_stop_patience", expectation: "0 when data.validation is 0 (early stopping watches the validation accuracy)",
                   holds: { $0.int("train.early_stop_patience") == 0 || $0.double("data.validation") > 0 }),
        ConfigRule(key: "teacher.cache", expectation: "false unless augment.views ≥ 1 or every augment.* transform is off (fresh augmentation never repeats an image)",
                   holds: { !$0.bool("teacher.cache") || $0.int("augment.views") >= 1 || !$0.augments }),
        ConfigRule(key: "teacher.cache", expectation: "false without a teacher.checkpoint and distill.alpha > 0 (nothing to cache)",
                   holds: { !$0.bool("teacher.cache") || (!$0.string("teacher.checkpoint").isEmpty && $0.double("distill.alpha") > 0) }),
        ConfigRule(key: "teacher.cache_top_k", expectation: "0 unless teacher.cache is true",
                   holds: { $0.int("teacher.cache_top_k") == 0 || $0.bool("teacher.cache") }),
    ]

    /// The key called `name`, or nil.
    public static func key(named name: String) -> ConfigKey? { keys.first { $0.name == name } }

    /// The table of keys docs/CONFIG.md holds, one row per key in schema order.
    public static func markdownTable() -> String {
        var out = "| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n"
        for key in keys {
            out += "| `\(key.name)` | \(key.type.name) | `\(RunConfig.render(key.defaultValue))` | \(key.type.allowed) | \(key.help) |\n"
        }
        out += "\nRules between keys, checked once every key has its value:\n\n"
        for rule in rules { out += "- `\(rule.key)`: \(rule.expectation).\n" }
        return out
    }
}
