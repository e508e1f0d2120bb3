import ArgumentParser
import Core
import Foundation

/// `--config FILE` and `--set key=value`: a run configuration built from the defaults, a file and overrides.
struct ConfigOptions: ParsableArguments {
    @Option(help: "YAML configuration file (default: the run folder's config.yaml where a command reads one, else the built-in defaults).")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one configuration key, e.g. --set train.steps=20 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    /// `--config`, or else `fallback`, with the `--set` overrides applied. Throws ``ConfigError``.
    func load(fallback: String? = nil) throws -> RunConfig {
        try RunConfig.load(path: config ?? fallback, overrides: overrides)
    }
}

/// `--threads N`: compute threads of a command that runs a model in this process.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Compute threads (0: one per core).")
    var threads = 0

    /// The threads to use.
    var count: Int { threads > 0 ? threads : ProcessInfoCores.count }

    func validate() throws {
        if threads < 0 { throw ValidationError("--threads must be 0 (one per core) or more") }
    }
}

/// `--model PATH`: a trained model, as a run folder or a model file.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A run folder (its teacher.safetensors or student.safetensors, and its config.yaml) or a .safetensors model file.",
                               valueName: "run"))
    var model: String

    /// The run folder's `config.yaml` when `--model` names a run folder holding one.
    var runConfiguration: String? {
        var directory: ObjCBool = false
        let path = model + "/config.yaml"
        guard FileManager.default.fileExists(atPath: model, isDirectory: &directory), directory.boolValue,
              FileManager.default.fileExists(atPath: path) else { return nil }
        return path
    }

    func validate() throws {
        if model.isEmpty { throw ValidationError("--model needs a run folder or a model file, e.g. --model runs/student") }
    }
}
