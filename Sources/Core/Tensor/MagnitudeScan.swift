import CChecksum

/// Finds values a peer must not send, fast enough to check every float of every message: one
/// pass for the largest magnitude (`distill_largest_magnitude`, at the CPU's vector width), and a
/// search for the first value beyond the limit only when there is one.
public enum MagnitudeScan {
    /// Index of the first value that is NaN or whose magnitude exceeds `limit` (with
    /// `Float.greatestFiniteMagnitude`: the first value that is not finite), or nil.
    public static func firstIndex(beyond limit: Float, in values: UnsafeBufferPointer<Float>) -> Int? {
        guard let base = values.baseAddress, !values.isEmpty else { return nil }
        // A NaN or negative limit admits nothing (as `!(abs(x) <= limit)` says).
        guard limit >= 0 else { return 0 }
        // For magnitudes, the order of bit patterns is the order of values, and every NaN's
        // pattern lies above infinity's: no pattern above the limit's, no value beyond it.
        guard distill_largest_magnitude(base, values.count) > limit.magnitude.bitPattern else { return nil }
        return values.firstIndex { !(abs($0) <= limit) }
    }

    /// Copies `source` into `destination` (at least as long, not overlapping) and returns whether
    /// every value is finite, reading `source` once.
    public static func copyCheckingFinite(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard let from = source.baseAddress, let to = destination.baseAddress else { return true }
        return distill_copy_largest_magnitude(to, from, source.count) <= Float.greatestFiniteMagnitude.bitPattern
    }

    /// Index of the first value of `values` that is not finite, or nil.
    public static func firstNonFinite(_ values: [Float]) -> Int? {
        values.withUnsafeBufferPointer(firstNonFinite(in:))
    }

    /// Index of the first value of `values` that is not finite, or nil.
    public static func firstNonFinite(in values: UnsafeBufferPointer<Float>) -> Int? {
        firstIndex(beyond: .greatestFiniteMagnitude, in: values)
    }
}
