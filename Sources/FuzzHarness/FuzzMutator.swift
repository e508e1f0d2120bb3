import Core

/// Deterministic mutations of seed inputs for the test suite's fuzz slice (and for fuzzing
/// without libFuzzer): mutant `n` of a corpus is a pure function of the key and `n`. Each
/// mutant is one seed with one to four edits: bit flips, interesting byte values, 32-bit
/// length edits (0, ±1, the input size, 2^31, 2^32 - 1), truncations, deleted, duplicated or
/// inserted ranges, and splices with another seed.
public struct FuzzMutator {
    private let seeds: [[UInt8]]
    private let random: KeyedRandom

    /// Mutates `seeds` (at least one) with draws keyed by `key`.
    public init(seeds: [[UInt8]], key: UInt64) {
        precondition(!seeds.isEmpty, "FuzzMutator needs at least one seed")
        self.seeds = seeds
        self.random = KeyedRandom(seed: key)
    }

    /// Mutant number `n`.
    public func mutant(_ n: UInt64) -> [UInt8] {
        let draw = random.child(n)
        var counter: UInt64 = 0
        func pick(_ bound: Int) -> Int {
            counter += 1
            return draw.index(counter, below: max(bound, 1))
        }
        var bytes = seeds[pick(seeds.count)]
        for _ in 0...pick(4) {
            edit(&bytes, pick)
        }
        return bytes
    }

    private func edit(_ bytes: inout [UInt8], _ pick: (Int) -> Int) {
        let interestingBytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xff]
        switch pick(8) {
        case 0 where !bytes.isEmpty:
            bytes[pick(bytes.count)] ^= UInt8(1) << UInt8(pick(8))
        case 1 where !bytes.isEmpty:
            bytes[pick(bytes.count)] = interestingBytes[pick(interestingBytes.count)]
        case 2 where bytes.count >= 4:
            let values: [UInt32] = [0, 1, UInt32(truncatingIfNeeded: bytes.count), UInt32(truncatingIfNeeded: bytes.count + 1),
                                    UInt32.max, 1 << 31, 0xFFFF]
            let at = pick(bytes.count - 3)
            let old = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << UInt32(8 * $1) }
            let value = pick(3) == 0 ? old &+ (pick(2) == 0 ? 1 : UInt32.max) : values[pick(values.count)]
            for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: value >> UInt32(8 * k)) }
        case 3:
            bytes.removeLast(bytes.count - pick(bytes.count + 1))
        case 4 where !bytes.isEmpty:
            let start = pick(bytes.count)
            bytes.removeSubrange(start..<(start + 1 + pick(min(bytes.count - start, 64))))
        case 5 where !bytes.isEmpty:
            let start = pick(bytes.count)
            let chunk = bytes[start..<(start + 1 + pick(min(bytes.count - start, 64)))]
            bytes.insert(contentsOf: chunk, at: pick(bytes.count + 1))
        case 6:
            let inserted = (0..<(1 + pick(16))).map { _ in UInt8(pick(256)) }
            bytes.insert(contentsOf: inserted, at: pick(bytes.count + 1))
        default:
            let other = seeds[pick(seeds.count)]
            let cut = pick(bytes.count + 1)
            bytes = Array(bytes[..<cut]) + other[pick(other.count + 1)...]
        }
    }
}
