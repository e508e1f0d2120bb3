#if canImport(Glibc)
import Glibc
#endif

/// Process-wide counters the benchmark reports: heap allocations (when the allocation counter in
/// `bench/malloc-count/` is preloaded) and peak resident memory.
enum ProcessCounters {
    private typealias Counter = @convention(c) () -> UInt
    private static let counter: Counter? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "distill_malloc_count") else { return nil }
        return unsafeBitCast(symbol, to: Counter.self)
    }()

    /// Heap allocation calls so far (malloc, calloc, realloc, memalign, aligned_alloc,
    /// posix_memalign, from every thread), or nil when `libmalloc_count.so` is not preloaded.
    static var allocations: Int? { counter.map { Int($0()) } }

    /// Peak resident set size of this process in bytes (`VmHWM` of `/proc/self/status`).
    static var peakResidentBytes: Int? { peakResidentBytes(of: "self") }

    /// Peak resident set size of process `pid` (`VmHWM` of `/proc/<pid>/status`), or nil when it
    /// cannot be read. The benchmark reads its workers' this way while they run: the
    /// `ru_maxrss` that `getrusage(RUSAGE_CHILDREN)` reports is no measure of a spawned worker,
    /// since Linux carries the parent's peak into a child that `posix_spawn` starts from the
    /// parent's memory.
    static func peakResidentBytes(of pid: String) -> Int? {
        guard let file = fopen("/proc/\(pid)/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(cString: line)
            if text.hasPrefix("VmHWM:") {
                return text.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
            }
        }
        return nil
    }
}
