#if canImport(Glibc)
import Glibc
#endif

extension BLAS {
    /// Measures this machine's sgemm rate in GFLOP/s with `threads` BLAS threads on square
    /// 2048 matrices (best of three), then restores one BLAS thread.
    public static func measurePeakGFLOPS(threads: Int, size n: Int = 2048) -> Double {
        setThreads(threads)
        defer { setThreads(1) }
        let a = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * n)
        let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * n)
        let c = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.01; b[i] = Float(i % 5) * 0.01; c[i] = 0 }
        var best = 0.0
        for _ in 0..<4 {
            var t0 = timespec(), t1 = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t0)
            gemm(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
            clock_gettime(CLOCK_MONOTONIC, &t1)
            let seconds = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) * 1e-9
            best = max(best, 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9)
        }
        return best
    }
}
