import ArgumentParser
import Core
import Foundation

/// The file formats of `export` and `import`.
enum InteropFormat: String, ExpressibleByArgument, CaseIterable {
    case pytorch, onnx
}

/// Comma-separated lists on the command line (`--input-shape 3,32,32`, `--mean 0.49,0.48,0.45`).
enum CommaList {
    /// `text` as integers, or a ValidationError naming `option`.
    static func ints(_ text: String, option: String, count: Int) throws -> [Int] {
        let values = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == count, values.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("\(option) takes \(count) positive integers separated by commas, e.g. \(option) 3,32,32")
        }
        return values
    }

    /// `text` as finite floats, or a ValidationError naming `option`.
    static func floats(_ text: String, option: String) throws -> [Float] {
        let parts = text.split(separator: ",")
        let values = parts.compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }.filter(\.isFinite)
        guard !values.isEmpty, values.count == parts.count else {
            throw ValidationError("\(option) takes numbers separated by commas, one per channel, e.g. \(option) 0.4914,0.4822,0.4465")
        }
        return values
    }
}

extension ModelFile {
    /// The model `export` and `predict` use for `--model PATH`: the file itself, or in a run folder
    /// its own model (`student.safetensors`, else `teacher.safetensors`); with `teacher`, the
    /// teacher the run in folder PATH distilled from (its config.yaml's `teacher.checkpoint`).
    static func own(_ path: String, teacher: Bool) throws -> String {
        var isDirectory: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        guard teacher else {
            if folder, FileManager.default.fileExists(atPath: path + "/student.safetensors") { return path + "/student.safetensors" }
            return try ModelFile.resolve(path)
        }
        guard folder else { throw ValidationError("--teacher needs a run folder as --model, not a model file") }
        let checkpoint = try RunConfig.load(path: path + "/config.yaml").string("teacher.checkpoint")
        guard !checkpoint.isEmpty else { throw ValidationError("\(path)/config.yaml names no teacher.checkpoint: the run distilled from no teacher") }
        return try ModelFile.resolve(checkpoint)
    }
}
