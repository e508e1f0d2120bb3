/// How a sliding window (convolution or pooling) treats the borders of its input,
/// with TensorFlow's semantics.
public enum Padding: String, Codable, Sendable {
    /// `out = ceil(in / stride)`; the input is padded by
    /// `max((out - 1) · stride + k - in, 0)` in total, half before (rounded down) and the rest after.
    case same
    /// No padding: `out = (in - k) / stride + 1` (windows that would leave the input are dropped).
    case valid

    /// Output length along one spatial axis for an input of length `input`, window `kernel`
    /// and `stride`. Zero when a `.valid` window does not fit.
    public func outputSize(input: Int, kernel: Int, stride: Int) -> Int {
        switch self {
        case .same: return (input + stride - 1) / stride
        case .valid: return input >= kernel ? (input - kernel) / stride + 1 : 0
        }
    }

    /// Number of padded positions before the first input element along one axis.
    public func paddingBefore(input: Int, kernel: Int, stride: Int) -> Int {
        switch self {
        case .same:
            let out = outputSize(input: input, kernel: kernel, stride: stride)
            return Swift.max((out - 1) * stride + kernel - input, 0) / 2
        case .valid: return 0
        }
    }
}
