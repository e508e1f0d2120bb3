import CGEMM
import XCTest
@testable import Core

/// Distill's AVX-512 sgemm (`CGEMM`) against a float64 reference and against OpenBLAS: every
/// transpose combination, edge tiles in m and n, k across the 256-deep slices, padded strides,
/// alpha and beta (beta 0 never reads C), and the same bits on every call and every thread.
final class GEMMKernelTests: XCTestCase {
    /// Operands with padded row strides; C starts as random values (or NaN, to prove beta 0 ignores it).
    struct Problem {
        var transposeA = false, transposeB = false
        var m: Int, n: Int, k: Int
        var alpha: Float = 1, beta: Float = 0
        var a: [Float] = [], b: [Float] = [], c: [Float] = []
        var lda = 0, ldb = 0, ldc = 0

        init(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
             alpha: Float = 1, beta: Float = 0, cStartsNaN: Bool = false, seed: UInt64 = 1) {
            self.transposeA = transposeA; self.transposeB = transposeB
            self.m = m; self.n = n; self.k = k; self.alpha = alpha; self.beta = beta
            lda = (transposeA ? m : k) + 3
            ldb = (transposeB ? k : n) + 5
            ldc = n + 2
            let random = KeyedRandom(seed: seed)
            func values(_ matrix: UInt64, _ count: Int) -> [Float] {
                let stream = random.child(matrix)
                return (0..<count).map { stream.uniform(UInt64($0)) * 2 - 1 }
            }
            a = values(0, (transposeA ? k : m) * lda)
            b = values(1, (transposeB ? n : k) * ldb)
            c = cStartsNaN ? [Float](repeating: .nan, count: m * ldc) : values(2, m * ldc)
        }

        func element(_ matrix: [Float], transposed: Bool, stride: Int, row: Int, column: Int) -> Double {
            Double(transposed ? matrix[column * stride + row] : matrix[row * stride + column])
        }

        /// `alpha · op(A) · op(B) + beta · C` in float64, and C's padding unchanged.
        func reference() -> [Double] {
            var out = c.map(Double.init)
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k {
                        sum += element(a, transposed: transposeA, stride: lda, row: i, column: p)
                            * element(b, transposed: transposeB, stride: ldb, row: p, column: j)
                    }
                    out[i * ldc + j] = Double(alpha) * sum + (beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j]))
                }
            }
            return out
        }

        func run(openBLAS: Bool = false) -> [Float] {
            var out = c
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    out.withUnsafeMutableBufferPointer { c in
                        BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                                  a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta, c: c.baseAddress!, ldc: ldc,
                                  kernel: openBLAS ? .openBLAS : BLAS.kernel)
                    }
                }
            }
            return out
        }
    }

    private func requireDistillKernel() throws {
        guard BLAS.kernel == .distillAVX512 else {
            throw XCTSkip("this CPU does not run AVX-512F (or DISTILL_GEMM=openblas): the kernel is \(BLAS.kernelName)")
        }
    }

    /// Largest |error| relative to sqrt(k) (the float32 rounding of a k-term sum grows with it).
    private func assertMatchesReference(_ problem: Problem, file: StaticString = #filePath, line: UInt = #line) {
        let result = problem.run(), expected = problem.reference()
        var worst = 0.0
        for index in result.indices {
            worst = max(worst, abs(Double(result[index]) - expected[index]) / (1 + Double(problem.k).squareRoot()))
        }
        XCTAssertLessThan(worst, 2e-6, "m \(problem.m) n \(problem.n) k \(problem.k) transposes \(problem.transposeA) \(problem.transposeB) alpha \(problem.alpha) beta \(problem.beta)",
                          file: file, line: line)
    }

    func testEveryTransposeAndEdgeMatchesFloat64Reference() throws {
        try requireDistillKernel()
        // 14 rows and 32 columns are the tile; 256 is the depth of one k slice.
        let sides = [1, 5, 13, 14, 15, 31, 32, 33, 70]
        var seed: UInt64 = 0
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for (index, m) in sides.enumerated() {
                    let n = sides[(index + 3) % sides.count], k = [1, 7, 255, 256, 257, 600][index % 6]
                    seed += 1
                    assertMatchesReference(Problem(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, seed: seed))
                }
            }
        }
    }

    /// Each element of C is one fused multiply-add chain from zero per 256-deep k slice, added to
    /// C once per slice, whatever the height of the tile that computed it: every row count from 1
    /// to 30 (tiles of 14, 8 and 4 rows), A read in place and packed (transposed), B packed per
    /// call and prepacked (whose tiles prefetch the next panel), one and two k slices, beta 0 and 1.
    func testEveryTileHeightComputesTheSameChains() throws {
        try requireDistillKernel()
        let packed = PackedMatrix()
        for m in 1...30 {
            for (transposeA, k, beta) in [(false, 70, Float(0)), (true, 300, 1), (false, 300, 1), (true, 33, 0)] {
                let problem = Problem(transposeA: transposeA, m: m, n: 70, k: k, beta: beta, seed: UInt64(m * 1000 + k))
                assertSameBits(problem.run(), Self.chains(problem), "m \(m) k \(k) transposed A \(transposeA) beta \(beta)")
            }
            var problem = Problem(m: m, n: 70, k: 300, seed: UInt64(m))
            problem.ldc = problem.n
            problem.c = [Float](repeating: .nan, count: m * problem.n)
            problem.b.withUnsafeBufferPointer { packed.pack($0.baseAddress!, transposed: false, k: problem.k, n: problem.n, ldb: problem.ldb) }
            var out = problem.c
            problem.a.withUnsafeBufferPointer { a in
                out.withUnsafeMutableBufferPointer { BLAS.gemm(m: m, a: a.baseAddress!, lda: problem.lda, packedB: packed, c: $0.baseAddress!) }
            }
            assertSameBits(out, Self.chains(problem), "prepacked, m \(m)")
        }
    }

    /// Fails naming the first element whose bits differ.
    private func assertSameBits(_ result: [Float], _ expected: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.count, expected.count, what, file: file, line: line)
        guard let i = result.indices.first(where: { result[$0].bitPattern != expected[$0].bitPattern }) else { return }
        XCTFail("\(what): element \(i) is \(result[i]), the chain gives \(expected[i])", file: file, line: line)
    }

    /// `problem` (alpha 1, beta 0 or 1) as Distill's kernel sums it: per 256-deep slice of k, a
    /// chain of fused multiply-adds from zero, stored (first slice, beta 0) or added to C.
    private static func chains(_ problem: Problem) -> [Float] {
        precondition(problem.alpha == 1 && (problem.beta == 0 || problem.beta == 1))
        var out = problem.c
        let depth = distill_sgemm_slice_depth()
        for i in 0..<problem.m {
            for j in 0..<problem.n {
                var c = out[i * problem.ldc + j]
                for start in stride(from: 0, to: problem.k, by: depth) {
                    var chain: Float = 0
                    for p in start..<min(start + depth, problem.k) {
                        let a = Float(problem.element(problem.a, transposed: problem.transposeA, stride: problem.lda, row: i, column: p))
                        let b = Float(problem.element(problem.b, transposed: problem.transposeB, stride: problem.ldb, row: p, column: j))
                        chain = chain.addingProduct(a, b)
                    }
                    c = start == 0 && problem.beta == 0 ? chain : c + chain
                }
                out[i * problem.ldc + j] = c
            }
        }
        return out
    }

    func testAlphaAndBetaAcrossKSlices() throws {
        try requireDistillKernel()
        for (alpha, beta) in [(Float(1), Float(1)), (0.5, -0.5), (2, 0), (-1, 1)] {
            for transposeA in [false, true] {
                assertMatchesReference(Problem(transposeA: transposeA, m: 29, n: 45, k: 700, alpha: alpha, beta: beta))
            }
        }
    }

    func testBetaZeroNeverReadsC() throws {
        try requireDistillKernel()
        let problem = Problem(m: 20, n: 40, k: 300, beta: 0, cStartsNaN: true)
        let result = problem.run()
        for i in 0..<problem.m {
            for j in 0..<problem.n { XCTAssertTrue(result[i * problem.ldc + j].isFinite, "C[\(i), \(j)]") }
            for j in problem.n..<problem.ldc { XCTAssertTrue(result[i * problem.ldc + j].isNaN, "padding C[\(i), \(j)] was written") }
        }
    }

    func testEmptyDepthScalesC() throws {
        try requireDistillKernel()
        var problem = Problem(m: 3, n: 4, k: 0, beta: 0.5)
        assertMatchesReference(problem)
        problem.beta = 0
        XCTAssertEqual(problem.run().enumerated().filter { $0.offset % problem.ldc < problem.n }.map(\.element), [Float](repeating: 0, count: 12))
    }

    func testAgreesWithOpenBLASOnLayerShapes() throws {
        try requireDistillKernel()
        // A forward convolution chunk, a weight gradient (k = rows) and an input gradient.
        for problem in [Problem(m: 1024, n: 64, k: 576), Problem(transposeA: true, m: 576, n: 64, k: 2048),
                        Problem(transposeB: true, m: 512, n: 576, k: 64)] {
            let ours = problem.run(), theirs = problem.run(openBLAS: true)
            var worst: Float = 0, scale: Float = 0
            for index in ours.indices { worst = max(worst, abs(ours[index] - theirs[index])); scale = max(scale, abs(theirs[index])) }
            XCTAssertLessThan(worst / scale, 1e-5, "m \(problem.m) n \(problem.n) k \(problem.k)")
        }
    }

    func testSameBitsOnEveryCallAndThread() throws {
        try requireDistillKernel()
        let problem = Problem(transposeA: true, m: 100, n: 90, k: 1000, beta: 1)
        let first = problem.run()
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 4)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 4) { results[$0] = problem.run() }
        for result in results { XCTAssertEqual(result.map(\.bitPattern), first.map(\.bitPattern)) }
    }

    /// A right-hand side packed once (``PackedMatrix``), with the bias and activation applied as
    /// C is stored, gives the bits of the plain product followed by the separate bias-and-activation
    /// pass: edge panels, several k slices, more than one 4096-column block, a transposed B, no
    /// bias, and the storage reused by a smaller matrix.
    func testPackedRightHandSideWithEpilogueGivesTheSameBits() {
        let packed = PackedMatrix()
        let cases: [(Bool, Int, Int, Int, Bool, FusedActivation)] = [
            (false, 37, 70, 600, true, .relu), (true, 15, 33, 257, true, .leakyReLU(alpha: 0.1)),
            (false, 3, 4100, 300, false, .identity), (false, 29, 31, 5, true, .identity), (true, 14, 32, 0, true, .relu)]
        for (transposeB, m, n, k, withBias, activation) in cases {
            var problem = Problem(transposeB: transposeB, m: m, n: n, k: k, seed: UInt64(n + k))
            problem.ldc = n
            problem.c = [Float](repeating: .nan, count: m * n)
            let bias = (0..<n).map { Float($0 % 7) - 3 }
            var expected = problem.run()
            bias.withUnsafeBufferPointer { b in
                expected.withUnsafeMutableBufferPointer {
                    addBiasActivation($0.baseAddress!, rows: m, columns: n, bias: withBias ? b.baseAddress! : nil, activation: activation)
                }
            }
            var out = [Float](repeating: .nan, count: m * n)
            problem.b.withUnsafeBufferPointer { b in
                packed.pack(b.baseAddress!, transposed: transposeB, k: k, n: n, ldb: problem.ldb)
            }
            problem.a.withUnsafeBufferPointer { a in
                bias.withUnsafeBufferPointer { b in
                    out.withUnsafeMutableBufferPointer { c in
                        BLAS.gemm(m: m, a: a.baseAddress!, lda: problem.lda, packedB: packed, bias: withBias ? b.baseAddress! : nil,
                                  activation: activation, c: c.baseAddress!)
                    }
                }
            }
            XCTAssertEqual(out.map(\.bitPattern), expected.map(\.bitPattern), "m \(m) n \(n) k \(k) transposed \(transposeB) \(activation)")
        }
    }

    func testFingerprintNamesTheKernel() {
        XCTAssertTrue(ComputeFingerprint.current().hasSuffix(" / \(BLAS.kernelName)"))
        if BLAS.kernel == .openBLAS { XCTAssertTrue(BLAS.kernelName.hasPrefix("openblas ")) }
    }
}
