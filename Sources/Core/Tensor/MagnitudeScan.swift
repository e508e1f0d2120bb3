/// Finds values a peer must not send, fast enough to check every float of every message: a
/// branch-free pass over blocks (so the loop vectorises) that searches only a block that has one.
public enum MagnitudeScan {
    /// Index of the first value that is NaN or whose magnitude exceeds `limit` (with
    /// `Float.greatestFiniteMagnitude`: the first value that is not finite), or nil.
    public static func firstIndex(beyond limit: Float, in values: UnsafeBufferPointer<Float>) -> Int? {
        guard let base = values.baseAddress else { return nil }
        let block = 1024
        for start in stride(from: 0, to: values.count, by: block) {
            let end = min(start + block, values.count)
            // NaN fails both comparisons; eight lanes at a time, no branch until the block ends.
            var inside = SIMDMask<SIMD8<Int32>>(repeating: true)
            var i = start
            while i + 8 <= end {
                let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
                inside = inside .& (v .<= limit) .& (v .>= -limit)
                i += 8
            }
            var tailInside = true
            while i < end {
                tailInside = tailInside && abs(base[i]) <= limit
                i += 1
            }
            if !all(inside) || !tailInside { return (start..<end).first { !(abs(base[$0]) <= limit) } }
        }
        return nil
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
