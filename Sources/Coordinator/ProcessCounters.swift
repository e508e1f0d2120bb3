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
    static var peakResidentBytes: Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
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

    /// Largest peak resident set size among the child processes waited for so far, in bytes
    /// (`getrusage(RUSAGE_CHILDREN)`): the local-mode workers.
    static var childrenPeakResidentBytes: Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }
}
