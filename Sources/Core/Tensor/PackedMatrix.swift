import CGEMM

/// A GEMM right-hand side `op(B) [k, n]` prepared once for many products: packed into the
/// micro-panels of Distill's kernel (so ``BLAS/gemm(m:a:lda:packedB:bias:activation:c:)``
/// skips its packing), or, when OpenBLAS runs, a row-major copy of `op(B)`. Either way it owns
/// its floats, so the matrix it came from may change or go away. A frozen layer packs its
/// weights once; a transformed kernel used by several chunks is packed once per forward.
final class PackedMatrix {
    /// The kernel the floats are laid out for (``BLAS/kernel`` when packed).
    private(set) var kernel = BLAS.kernel
    /// `k` and `n` of the packed `op(B)` (0 before the first ``pack(_:transposed:k:n:ldb:)``).
    private(set) var k = 0, n = 0
    private var storage: UnsafeMutablePointer<Float>?
    private var capacity = 0

    init() {}

    deinit { storage?.deallocate() }

    /// Packs `op(B)`: `b` is `[k, n]` (or `[n, k]` when `transposed`) with row stride `ldb`.
    /// Reuses the storage when it is large enough (no allocation after the first call).
    func pack(_ b: UnsafePointer<Float>, transposed: Bool, k: Int, n: Int, ldb: Int) {
        kernel = BLAS.kernel
        let floats = kernel == .distillAVX512 ? distill_sgemm_packed_size(n, k) : k * n
        if capacity < floats {
            storage?.deallocate()
            storage = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(floats, 1) * MemoryLayout<Float>.size, alignment: 64)
                .bindMemory(to: Float.self, capacity: Swift.max(floats, 1))
            capacity = floats
        }
        (self.k, self.n) = (k, n)
        let out = storage!
        if kernel == .distillAVX512, distill_sgemm_pack(transposed ? 1 : 0, n, k, b, ldb, out) == 0 { return }
        kernel = .openBLAS
        for row in 0..<k {
            for column in 0..<n { out[row * n + column] = transposed ? b[column * ldb + row] : b[row * ldb + column] }
        }
    }

    /// The packed floats (valid after ``pack(_:transposed:k:n:ldb:)``).
    var pointer: UnsafePointer<Float> { UnsafePointer(storage!) }
}

extension BLAS {
    /// `C = act(A · B + bias)` with `B` prepared by ``PackedMatrix``: `A` is `[m, k]` (row
    /// stride `lda`), `C` is `[m, n]` contiguous for the matrix's `k` and `n`, `bias` is `[n]`
    /// (nil: none), `act` the ``FusedActivation``. Distill's kernel applies bias and activation
    /// as it stores C; elsewhere they are one pass after the product. Both give the bits of the
    /// plain product followed by ``addBiasActivation(_:rows:columns:bias:activation:)``.
    static func gemm(m: Int, a: UnsafePointer<Float>, lda: Int, packedB: PackedMatrix,
                     bias: UnsafePointer<Float>? = nil, activation: FusedActivation = .identity, c: UnsafeMutablePointer<Float>) {
        let (n, k) = (packedB.n, packedB.k)
        if m == 0 || n == 0 { return }
        if packedB.kernel == .distillAVX512 {
            // Packed only where the kernel runs, and this product needs no buffer: it cannot fail.
            _ = distill_sgemm_packed(m, n, k, a, lda, packedB.pointer, bias, activation.negativeSlope, c, n)
            return
        }
        gemm(m: m, n: n, k: k, a: a, lda: lda, b: packedB.pointer, ldb: n, c: c, ldc: n, kernel: .openBLAS)
        addBiasActivation(c, rows: m, columns: n, bias: bias, activation: activation)
    }
}
