#ifndef DISTILL_GEMM_H
#define DISTILL_GEMM_H

/// Distill's own single-precision GEMM for x86-64 CPUs with AVX-512F: a packed-B, register-
/// blocked 14x32 micro-kernel (8x32 and 4x32 for short edge tiles) with fixed blocking, one
/// thread per call. Results depend only on the shapes and the data (not on threads or
/// alignment), so every process on such a CPU computes the same bits. See docs/PERFORMANCE.md.

/// 1 when this CPU and its operating system run AVX-512F code (CPUID and XGETBV), else 0.
int distill_gemm_available(void);

/// Row-major `C = alpha * op(A) * op(B) + beta * C`, `op(A)` is m x k, `op(B)` is k x n.
/// `lda`, `ldb`, `ldc` are the row strides of the stored matrices. With beta 0, C is not read.
/// Returns 0, or -1 when the kernel is unavailable or its packing buffer cannot be allocated
/// (then C is unchanged and the caller falls back to BLAS).
int distill_sgemm(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta,
                  float *c, long ldc);

/// The depth of the k slices (256): a product with k at most this sums each element of
/// `op(A) * op(B)` in one chain from zero and then adds it to `beta * C` once, so with beta 1 it
/// gives `fl(C + chain)`.
long distill_sgemm_slice_depth(void);

/// Floats that `op(B)` (k x n) takes once packed by distill_sgemm_pack.
long distill_sgemm_packed_size(long n, long k);

/// Packs `op(B)` (k x n) into `packed`: distill_sgemm_packed_size(n, k) floats, 64-byte aligned.
/// For a right-hand side used by many products (a frozen layer's weights, a transformed kernel
/// used by several chunks). Returns 0, or -1 when the kernel is unavailable.
int distill_sgemm_pack(int transpose_b, long n, long k, const float *b, long ldb, float *packed);

/// `C = act(A * B + bias)` (A not transposed, C not read) with `op(B)` already packed by
/// distill_sgemm_pack (same n and k): `bias[j]` is added to column j (bias may be NULL), then
/// `act(v) = v > 0 ? v : slope * v` (slope 1: identity), in the pass that stores C. The same
/// bits as distill_sgemm with that B followed by a separate bias-and-activation pass. Needs no
/// buffer, so it returns 0 whenever the kernel is available (else -1, C unchanged).
int distill_sgemm_packed(long m, long n, long k, const float *a, long lda, const float *packed_b,
                         const float *bias, float slope, float *c, long ldc);

/// `dst[c * ldd + r] = src[r * lds + c]` for `rows` x `cols` floats (row strides `lds`, `ldd`;
/// the two must not overlap), in 16 x 16 blocks transposed in registers. Returns 0, or -1 when
/// AVX-512F is unavailable (then dst is unchanged).
int distill_transpose(long rows, long cols, const float *src, long lds, float *dst, long ldd);

#endif
