import Foundation

extension BLAS {
    /// Measures an sgemm rate in GFLOP/s on square `size` matrices (best of four):
    /// OpenBLAS runs one product with `threads` BLAS threads; Distill's kernel, which is
    /// single-threaded per call, runs `threads` products at once on their own threads (as the
    /// compute threads of a shard do). Restores one BLAS thread. `kernel` defaults to ``kernel``.
    public static func measurePeakGFLOPS(threads: Int, size n: Int = 2048, kernel: Kernel = BLAS.kernel) -> Double {
        let copies = kernel == .openBLAS ? 1 : Swift.max(1, threads)
        let matrices = (0..<copies).map { _ in PeakOperands(size: n) }
        defer { matrices.forEach { $0.deallocate() } }
        if kernel == .openBLAS { setThreads(threads) }
        defer { setThreads(1) }
        var best = 0.0
        for _ in 0..<4 {
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: copies) { index in
                matrices[index].multiply(kernel: kernel)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            best = Swift.max(best, Double(copies) * 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9)
        }
        return best
    }
}

/// Three square matrices for one peak measurement.
private struct PeakOperands: @unchecked Sendable {
    let size: Int
    let a, b, c: UnsafeMutableBufferPointer<Float>

    init(size n: Int) {
        size = n
        a = .allocate(capacity: n * n)
        b = .allocate(capacity: n * n)
        c = .allocate(capacity: n * n)
        for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.01; b[i] = Float(i % 5) * 0.01; c[i] = 0 }
    }

    func multiply(kernel: BLAS.Kernel) {
        let n = size
        BLAS.gemm(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n, kernel: kernel)
    }

    func deallocate() { a.deallocate(); b.deallocate(); c.deallocate() }
}
