#ifndef DISTILL_GEMM_H
#define DISTILL_GEMM_H

/// Distill's own single-precision GEMM for x86-64 CPUs with AVX-512F: a packed-B, register-
/// blocked 14x32 micro-kernel with fixed blocking, one thread per call. Results depend only
/// on the shapes and the data (not on threads or alignment), so every process on such a CPU
/// computes the same bits. See docs/PERFORMANCE.md.

/// 1 when this CPU and its operating system run AVX-512F code (CPUID and XGETBV), else 0.
int distill_gemm_available(void);

/// Row-major `C = alpha * op(A) * op(B) + beta * C`, `op(A)` is m x k, `op(B)` is k x n.
/// `lda`, `ldb`, `ldc` are the row strides of the stored matrices. With beta 0, C is not read.
/// Returns 0, or -1 when the kernel is unavailable or its packing buffer cannot be allocated
/// (then C is unchanged and the caller falls back to BLAS).
int distill_sgemm(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta,
                  float *c, long ldc);

#endif
