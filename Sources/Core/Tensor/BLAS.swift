import CBLAS
import CGEMM
#if canImport(Glibc)
import Glibc
#endif

/// The one Swift entry point to matrix multiplication: Distill's own AVX-512 sgemm (the
/// `CGEMM` target) on CPUs that run it, OpenBLAS (the `CBLAS` target) everywhere else.
public enum BLAS {
    /// Which sgemm ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` runs.
    public enum Kernel: String, Sendable {
        /// `CGEMM`'s 14×32 AVX-512F kernel: chosen when CPUID and the OS say AVX-512F runs.
        case distillAVX512 = "distill-avx512"
        /// OpenBLAS with the core it detected (`openblas_get_corename`).
        case openBLAS = "openblas"
    }

    /// The sgemm this process uses, fixed at first use: ``Kernel/distillAVX512`` when the CPU
    /// runs AVX-512F, unless the environment sets `DISTILL_GEMM=openblas` (for comparisons).
    public static let kernel: Kernel = {
        if let forced = getenv("DISTILL_GEMM"), String(cString: forced) == Kernel.openBLAS.rawValue { return .openBLAS }
        return distill_gemm_available() != 0 ? .distillAVX512 : .openBLAS
    }()

    /// True when ``kernel`` computes each row of C with the same operations whatever the row
    /// count and the row's position in A, so a sample's result does not depend on its batch
    /// mates. Distill's kernel: every element is one chain of FMAs over k, KC slices added in
    /// order, for full and edge tiles alike. OpenBLAS rounds edge tiles differently.
    public static var rowsAreIndependent: Bool { kernel == .distillAVX512 }

    /// The kernel's name for reports and compute fingerprints: `"distill-avx512"` or
    /// `"openblas <core>"`, e.g. `"openblas Haswell"`.
    public static var kernelName: String {
        switch kernel {
        case .distillAVX512: return kernel.rawValue
        case .openBLAS: return "openblas \(openBLASCore)"
        }
    }

    /// The core OpenBLAS selected for this CPU, e.g. `"Haswell"` or `"Prescott"`.
    public static var openBLASCore: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// Sets the number of threads BLAS may use. Distill runs shards on its own threads and
    /// gives BLAS one thread each, so results do not depend on BLAS' own work splitting.
    /// (Distill's own kernel always runs on the calling thread.)
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// `C = alpha · op(A) · op(B) + beta · C`, all row-major, with ``kernel`` (or the one given:
    /// tests and the peak measurement also run OpenBLAS on AVX-512 machines).
    /// `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, `C` is `[m, n]`; `lda`, `ldb`, `ldc` are the
    /// row strides of the stored (untransposed) matrices. With `beta` 0, `C` is not read.
    /// Distill's kernel falls back to OpenBLAS only if its packing buffer cannot be allocated.
    @inlinable
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        kernel: Kernel = BLAS.kernel
    ) {
        if m == 0 || n == 0 { return }
        if kernel == .distillAVX512,
           distill_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == 0 {
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
