/// The median of a growing list of values, for ``DivergenceGuard``: O(log n) per value instead
/// of a sorted array's O(n) insertion. The lower half is a max-heap, the upper half a min-heap,
/// and the lower half holds the extra value of an odd count, so the median is the same number as
/// sorting the list and taking its middle value (the mean of the two middle values for an even
/// count).
struct RunningMedian {
    /// The lower half, negated (a min-heap of −x is a max-heap of x; negation is exact).
    private var lower = MinHeap()
    private var upper = MinHeap()

    /// Values added so far.
    var count: Int { lower.count + upper.count }

    /// The median, or nil before the first value.
    var median: Double? {
        guard let largestLow = lower.minimum.map({ -$0 }) else { return nil }
        return lower.count > upper.count ? largestLow : (largestLow + upper.minimum!) / 2
    }

    /// Adds `value` (not NaN).
    mutating func add(_ value: Double) {
        if let largestLow = lower.minimum.map({ -$0 }), value > largestLow { upper.push(value) } else { lower.push(-value) }
        if lower.count > upper.count + 1 {
            upper.push(-lower.popMinimum())
        } else if upper.count > lower.count {
            lower.push(-upper.popMinimum())
        }
    }
}

/// A binary min-heap of Doubles in an array.
private struct MinHeap {
    private var items: [Double] = []

    var count: Int { items.count }
    var minimum: Double? { items.first }

    mutating func push(_ value: Double) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the minimum; the heap must not be empty.
    mutating func popMinimum() -> Double {
        let top = items[0]
        let last = items.removeLast()
        guard !items.isEmpty else { return top }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
