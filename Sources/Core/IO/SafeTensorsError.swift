/// Why bytes are not a valid F32 safetensors file; ``description`` names the source and the problem.
public struct SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Problem: Equatable, Sendable {
        /// Fewer than the 8 bytes of the header-length prefix.
        case missingHeaderLength(fileLength: Int)
        /// The header-length prefix points past the end of the file.
        case headerLengthOutOfRange(headerLength: UInt64, available: Int)
        /// The header is not a JSON object.
        case headerNotJSONObject
        /// A tensor entry or one of its fields is missing or malformed.
        case invalidField(tensor: String, field: String, reason: String)
        /// A tensor has a dtype other than F32.
        case unsupportedDType(tensor: String, dtype: String)
        /// `__metadata__` is not a string-to-string object.
        case invalidMetadata(reason: String)
        /// A tensor's byte span does not match its shape.
        case sizeMismatch(tensor: String, shape: [Int], expectedBytes: Int, spanBytes: Int)
        /// A tensor does not start where the previous one (in offset order) ends.
        case notContiguous(tensor: String, begin: Int, expected: Int)
        /// The data section's length differs from the end of the last tensor.
        case dataLengthMismatch(expected: Int, actual: Int)
    }

    /// The file name or other label the bytes came from.
    public let source: String
    public let problem: Problem

    public init(source: String, problem: Problem) {
        self.source = source
        self.problem = problem
    }

    /// What is wrong, without the source.
    public var detail: String {
        let what: String
        switch problem {
        case let .missingHeaderLength(fileLength):
            what = "truncated: \(fileLength) bytes, fewer than the 8-byte header length"
        case let .headerLengthOutOfRange(headerLength, available):
            what = "truncated or corrupt: header length \(headerLength) exceeds the \(available) bytes after the length prefix"
        case .headerNotJSONObject:
            what = "header is not a valid JSON object"
        case let .invalidField(tensor, field, reason):
            what = "tensor '\(tensor)': field '\(field)' \(reason)"
        case let .unsupportedDType(tensor, dtype):
            what = "tensor '\(tensor)': dtype \(dtype) is not supported (only F32)"
        case let .invalidMetadata(reason):
            what = "__metadata__ \(reason)"
        case let .sizeMismatch(tensor, shape, expectedBytes, spanBytes):
            what = "tensor '\(tensor)': shape \(shape) needs \(expectedBytes) bytes but data_offsets span \(spanBytes)"
        case let .notContiguous(tensor, begin, expected):
            what = "tensor '\(tensor)': data begins at \(begin), expected \(expected) "
                + (begin < expected ? "(overlaps the previous tensor)" : "(gap after the previous tensor)")
        case let .dataLengthMismatch(expected, actual):
            what = "data section has \(actual) bytes, tensors need \(expected)"
                + (actual < expected ? " (truncated)" : " (trailing bytes)")
        }
        return what
    }

    public var description: String { "\(source): \(detail)" }
}
