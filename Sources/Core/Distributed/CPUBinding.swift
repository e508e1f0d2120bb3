import CAffinity
import Glibc

/// Which CPUs a process runs on: the set it may use, a `--cpus` list, and how local mode shares
/// the set between its worker processes.
///
/// Local mode binds worker `i` of `n` to its own slice of the coordinator's CPUs when there are
/// at least as many CPUs as workers: each worker's compute thread then keeps its core (and its
/// caches), and the coordinator's threads run wherever a core is free. See docs/PERFORMANCE.md
/// for what it is worth and when to switch it off.
public enum CPUBinding {
    /// The CPUs this process may run on (its affinity mask, narrowed by cgroups, taskset or
    /// Slurm), in increasing order; empty when the mask cannot be read.
    public static func allowed() -> [Int] {
        let limit = Int(distill_affinity_limit())
        var cpus = [Int32](repeating: 0, count: limit)
        let count = cpus.withUnsafeMutableBufferPointer { distill_allowed_cpus($0.baseAddress, Int32(limit)) }
        return count > 0 ? cpus.prefix(Int(min(count, Int32(limit)))).map(Int.init) : []
    }

    /// Restricts every thread of this process, and those it starts later, to `cpus`, which must
    /// all be in ``allowed()``.
    public static func bindProcess(to cpus: [Int], option: String = "--cpus") throws {
        try checkAllowed(cpus, option: option)
        let code = cpus.map(Int32.init).withUnsafeBufferPointer { distill_bind_process($0.baseAddress, Int32($0.count)) }
        guard code == 0 else { throw CPUBindingError.failed(option: option, reason: String(cString: strerror(code))) }
    }

    /// Throws unless `cpus` is not empty and lies within ``allowed()``.
    public static func checkAllowed(_ cpus: [Int], option: String = "--cpus") throws {
        guard !cpus.isEmpty else { throw CPUBindingError.invalidList(option: option, text: "", detail: "no CPU given") }
        let allowed = allowed()
        let outside = cpus.filter { !allowed.contains($0) }
        guard outside.isEmpty else { throw CPUBindingError.notAllowed(option: option, cpus: outside, allowed: list(allowed)) }
    }

    /// The CPUs of a list such as `0,2,4-7` (as taskset -c and Slurm write them), in increasing
    /// order without repeats. Throws for anything else: empty items, reversed ranges, numbers past
    /// the highest CPU Linux can name here.
    public static func parse(_ text: String, option: String = "--cpus") throws -> [Int] {
        let limit = Int(distill_affinity_limit())
        func number(_ s: Substring) throws -> Int {
            guard !s.isEmpty, s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber), s.count <= 6, let n = Int(s), n < limit else {
                throw CPUBindingError.invalidList(option: option, text: text,
                                                  detail: "'\(s)' is not a CPU number (0 to \(limit - 1))")
            }
            return n
        }
        var cpus = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            let low = try number(bounds[0])
            let high = bounds.count == 2 ? try number(bounds[1]) : low
            guard low <= high else {
                throw CPUBindingError.invalidList(option: option, text: text, detail: "the range \(item) runs backwards")
            }
            cpus.formUnion(low...high)
        }
        return cpus.sorted()
    }

    /// `cpus` (increasing) as a list for ``parse(_:option:)``, with runs of three or more as ranges.
    public static func list(_ cpus: [Int]) -> String {
        var items: [String] = []
        var i = 0
        while i < cpus.count {
            var j = i
            while j + 1 < cpus.count, cpus[j + 1] == cpus[j] + 1 { j += 1 }
            if j - i >= 2 { items.append("\(cpus[i])-\(cpus[j])") } else { items += cpus[i...j].map(String.init) }
            i = j + 1
        }
        return items.joined(separator: ",")
    }

    /// The CPUs of each of `workers` local workers: `allowed` cut into `workers` contiguous
    /// slices as equal as can be. Nil when there is nothing to
    /// gain: a single worker, or more workers than CPUs (oversubscribed: the scheduler spreads them).
    public static func shares(workers: Int, of allowed: [Int]) -> [[Int]]? {
        guard workers >= 2, workers <= allowed.count else { return nil }
        return (0..<workers).map { i in Array(allowed[allowed.count * i / workers..<allowed.count * (i + 1) / workers]) }
    }
}

/// A CPU list or binding that cannot be used, naming the option it came from.
public enum CPUBindingError: Error, Equatable, CustomStringConvertible {
    /// The text is not a CPU list.
    case invalidList(option: String, text: String, detail: String)
    /// Some CPUs of the list are outside this process's affinity mask.
    case notAllowed(option: String, cpus: [Int], allowed: String)
    /// The kernel refused the binding.
    case failed(option: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidList(option, text, detail):
            return "\(option) \(text): \(detail); write CPUs as a list such as 0,2,4-7"
        case let .notAllowed(option, cpus, allowed):
            return "\(option): CPU\(cpus.count == 1 ? "" : "s") \(CPUBinding.list(cpus)) "
                + "\(cpus.count == 1 ? "is" : "are") not among the CPUs this process may use (\(allowed))"
        case let .failed(option, reason):
            return "\(option): cannot bind the process to its CPUs: \(reason)"
        }
    }
}
