/// `Σ g[i]²` of a gradient in Double, in one fixed order whatever the thread count: the buffer is
/// cut into chunks of ``chunk`` elements; within a chunk element `i` goes to lane `i mod 8` (the
/// last `count mod 8` elements of the buffer to lanes 0, 1, …), each lane a left fold; a chunk's
/// lanes are added in lane order, and the chunks' sums in chunk order. Every process therefore
/// gets the same bits, with eight independent chains of additions per chunk, and threads can
/// take whole chunks (``StepReducer`` sums each chunk as it reduces it).
///
/// Float squares stay far below Double's range, so the sum is finite exactly when every element is.
struct SquareSum {
    /// Elements per chunk, a multiple of 8.
    static let chunk = 1 << 16

    private var low = SIMD4<Double>(), high = SIMD4<Double>()

    /// Adds the squares of `count` consecutive elements of the current chunk; `count` is a
    /// multiple of 8 except for the buffer's last elements.
    @inline(__always)
    mutating func add(_ g: UnsafePointer<Float>, count n: Int) {
        var low = self.low, high = self.high  // registers, not memory, in the loop
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            let a = SIMD4<Double>(v.lowHalf), b = SIMD4<Double>(v.highHalf)
            low += a * a
            high += b * b
            i += 8
        }
        var lanes = SIMD8<Double>(lowHalf: low, highHalf: high)
        for lane in 0..<(n - i) { lanes[lane] += Double(g[i + lane]) * Double(g[i + lane]) }
        self.low = lanes.lowHalf
        self.high = lanes.highHalf
    }

    /// The chunk's sum: its lanes added in lane order.
    var chunkTotal: Double {
        let lanes = SIMD8<Double>(lowHalf: low, highHalf: high)
        var sum = 0.0
        for lane in 0..<8 { sum += lanes[lane] }
        return sum
    }

    /// The sum over `count` elements, chunk by chunk.
    static func total(_ g: UnsafePointer<Float>, count n: Int) -> Double {
        var sum = 0.0
        for start in stride(from: 0, to: n, by: chunk) {
            var chunkSum = SquareSum()
            chunkSum.add(g + start, count: min(chunk, n - start))
            sum += chunkSum.chunkTotal
        }
        return sum
    }
}
