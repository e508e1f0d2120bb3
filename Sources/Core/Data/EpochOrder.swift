/// The order in which an epoch visits a data set.
public enum EpochOrder {
    /// A permutation of `0..<count` for `epoch`: Fisher–Yates where step `i` (from `count − 1`
    /// down to 1) swaps `i` with `KeyedRandom(seed: seed, 2, epoch).index(i, below: i + 1)`.
    /// Every process computes the same order from the same (seed, epoch).
    public static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        permutation(count: count, random: KeyedRandom(seed: seed, RandomStream.order, UInt64(epoch)))
    }

    /// A permutation of `0..<count`: Fisher–Yates where step `i` (from `count − 1` down to 1)
    /// swaps `i` with `random.index(i, below: i + 1)`.
    public static func permutation(count: Int, random: KeyedRandom) -> [Int] {
        var order: [Int] = []
        fill(&order, count: count, random: random)
        return order
    }

    /// ``permutation(count:seed:epoch:)`` written into `order` (reusing its storage when nothing
    /// else holds it).
    public static func fill(_ order: inout [Int], count: Int, seed: UInt64, epoch: Int) {
        fill(&order, count: count, random: KeyedRandom(seed: seed, RandomStream.order, UInt64(epoch)))
    }

    private static func fill(_ order: inout [Int], count: Int, random: KeyedRandom) {
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: 0..<count)
        order.withUnsafeMutableBufferPointer { p in
            var i = count - 1
            while i > 0 {
                p.swapAt(i, random.index(UInt64(i), below: i + 1))
                i -= 1
            }
        }
    }
}
