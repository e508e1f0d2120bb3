import XCTest
@testable import Core

/// Distillation and plain cross-entropy losses: hand-computed values, stability, gradients.
final class DistillationLossTests: XCTestCase {
    private let ln3 = Float(log(3.0))

    /// Runs `distillationLoss` and returns the sums and the gradient (scale 1 unless given).
    private func run(_ student: [Float], _ teacher: [Float], labels: [Int32], classes: Int,
                     temperature: Float, alpha: Float, scale: Float = 1) -> (LossSums, [Float]) {
        let n = labels.count
        let s = Tensor(shape: [n, classes], values: student)
        let t = teacher.isEmpty ? Tensor(shape: [0]) : Tensor(shape: [n, classes], values: teacher)
        let g = Tensor(shape: [1])
        let sums = labels.withUnsafeBufferPointer {
            distillationLoss(studentLogits: s, teacherLogits: t, labels: $0, temperature: temperature, alpha: alpha,
                             gradient: g, gradientScale: scale)
        }
        XCTAssertEqual(g.shape, [n, classes])
        return (sums, g.array)
    }

    func testHardOnlyTwoClassesByHand() {
        // z = [0, ln 3] -> softmax [1/4, 3/4]; label 0: ln 4, label 1: ln 4/3.
        let (sums, g) = run([0, ln3, 0, ln3], [], labels: [0, 1], classes: 2, temperature: 1, alpha: 0)
        XCTAssertEqual(sums.hard, log(4.0) + log(4.0 / 3.0), accuracy: 1e-6)
        XCTAssertEqual(sums.total, sums.hard)
        XCTAssertEqual(sums.soft, 0)
        XCTAssertEqual(sums.correct, 1)
        XCTAssertEqual(sums.count, 2)
        assertClose(g, [-0.75, 0.75, 0.25, -0.25], atol: 1e-6)
    }

    func testSoftOnlyAtTemperatureOneByHand() {
        // σ(z_s) = [1/4, 3/4], σ(z_t) = [3/4, 1/4]: soft = −(3/4·ln 1/4 + 1/4·ln 3/4) = 1.1116411;
        // gradient σ(z_s) − σ(z_t) = [−1/2, 1/2].
        let (sums, g) = run([0, ln3], [ln3, 0], labels: [0], classes: 2, temperature: 1, alpha: 1)
        XCTAssertEqual(sums.soft, 0.75 * log(4.0) + 0.25 * log(4.0 / 3.0), accuracy: 1e-6)
        XCTAssertEqual(sums.total, sums.soft, accuracy: 1e-12)
        assertClose(g, [-0.5, 0.5], atol: 1e-6)
    }

    func testMixedAtTemperatureTwoByHand() {
        // z_s = [0, 2 ln 3]: σ(z_s) = [0.1, 0.9], σ(z_s/2) = [1/4, 3/4]; z_t = [2 ln 3, 0]: σ(z_t/2) = [3/4, 1/4].
        // hard (label 1) = −ln 0.9 = 0.1053605; soft = 2²·1.1116411 = 4.4465646;
        // total (α = 1/2) = 2.2759626; gradient = ½·[0.1, −0.1] + ½·2·[−½, ½] = [−0.45, 0.45].
        let (sums, g) = run([0, 2 * ln3], [2 * ln3, 0], labels: [1], classes: 2, temperature: 2, alpha: 0.5)
        XCTAssertEqual(sums.hard, -log(0.9), accuracy: 1e-6)
        XCTAssertEqual(sums.soft, 4 * (0.75 * log(4.0) + 0.25 * log(4.0 / 3.0)), accuracy: 1e-5)
        XCTAssertEqual(sums.total, 0.5 * sums.hard + 0.5 * sums.soft, accuracy: 1e-9)
        XCTAssertEqual(sums.total, 2.2759626, accuracy: 1e-5)
        assertClose(g, [-0.45, 0.45], atol: 1e-6)
    }

    func testSoftIsCrossEntropyNotKL() {
        // Teacher = student: KL would be 0, cross-entropy is T²·H(σ(z/T)); z/T = [0, ln 3] gives H = 0.5623351.
        let (sums, g) = run([0, 2 * ln3], [0, 2 * ln3], labels: [0], classes: 2, temperature: 2, alpha: 1)
        XCTAssertEqual(sums.soft, 4 * (0.25 * log(4.0) + 0.75 * log(4.0 / 3.0)), accuracy: 1e-5)
        assertClose(g, [0, 0], atol: 1e-6)
    }

    func testUniformLogitsGiveLogC() {
        let c = 10
        let (sums, g) = run([Float](repeating: 3.5, count: c), [Float](repeating: -1, count: c), labels: [4], classes: c,
                            temperature: 4, alpha: 0.3)
        XCTAssertEqual(sums.hard, log(10.0), accuracy: 1e-6)
        XCTAssertEqual(sums.soft, 16 * log(10.0), accuracy: 1e-5)
        var expected = [Float](repeating: 0.7 * 0.1, count: c)
        expected[4] -= 0.7
        assertClose(g, expected, atol: 1e-6)
    }

    func testLargeLogitsStayFiniteAndExact() {
        // Student argmax is class 0; teacher puts all mass on class 1.
        let s: [Float] = [1000, -1000, 0, 1000, -1000, 0]
        let t: [Float] = [-1000, 1000, 0, -1000, 1000, 0]
        let (hard, gh) = run(s, t, labels: [1, 0], classes: 3, temperature: 1, alpha: 0)
        XCTAssertEqual(hard.hard, 2000 + 0)
        XCTAssertEqual(hard.correct, 1)
        XCTAssertEqual(gh, [1, -1, 0, 0, 0, 0])
        let (soft, gs) = run(s, t, labels: [1, 0], classes: 3, temperature: 1, alpha: 1)
        XCTAssertEqual(soft.soft, 2 * 2000)
        XCTAssertEqual(soft.total, 4000)
        XCTAssertEqual(gs, [1, -1, 0, 1, -1, 0])
    }

    func testAlphaZeroIgnoresTeacherAndMatchesPlainCrossEntropy() {
        let logits = GradientCheck.randomValues(12, seed: 3, scale: 4)
        let labels: [Int32] = [2, 0, 3]
        let student = Tensor(shape: [3, 4], values: logits)
        let g1 = Tensor(shape: [3, 4]), g2 = Tensor(shape: [3, 4])
        let (plain, distilled) = labels.withUnsafeBufferPointer { l in
            (softmaxCrossEntropy(logits: student, labels: l, gradient: g1, gradientScale: 0.5),
             distillationLoss(studentLogits: student, teacherLogits: Tensor(shape: [0]), labels: l, temperature: 3,
                              alpha: 0, gradient: g2, gradientScale: 0.5))
        }
        XCTAssertEqual(plain, distilled)
        XCTAssertEqual(plain.soft, 0)
        XCTAssertEqual(g1.array, g2.array)
    }

    func testCorrectCountsArgmaxWithTiesToLowestIndex() {
        // Rows: argmax 2 (label 2 ✓), argmax 0 (label 1 ✗), tie 1/3 -> 1 (label 1 ✓), tie 1/3 -> 1 (label 3 ✗).
        let s: [Float] = [0, 1, 5, 2, 9, 1, 1, 0, 0, 4, 0, 4, 0, 4, 0, 4]
        let (sums, _) = run(s, [], labels: [2, 1, 1, 3], classes: 4, temperature: 1, alpha: 0)
        XCTAssertEqual(sums.correct, 2)
        XCTAssertEqual(sums.count, 4)
    }

    func testGradientMatchesCentralDifferences() {
        // Tolerance: relative error 5e-3 (Float loss, Double differences, h = 1e-2).
        let n = 3, c = 5
        let student = Tensor(shape: [n, c], values: GradientCheck.randomValues(n * c, seed: 11, scale: 3))
        let teacher = Tensor(shape: [n, c], values: GradientCheck.randomValues(n * c, seed: 12, scale: 3))
        let labels: [Int32] = [4, 0, 2]
        for (temperature, alpha) in [(Float(1), Float(0)), (2.5, 0.6), (4, 1)] {
            let g = Tensor(shape: [n, c])
            let loss = labels.withUnsafeBufferPointer { l in
                { distillationLoss(studentLogits: student, teacherLogits: teacher, labels: l, temperature: temperature,
                                   alpha: alpha, gradient: nil, gradientScale: 1).total }
            }
            _ = labels.withUnsafeBufferPointer {
                distillationLoss(studentLogits: student, teacherLogits: teacher, labels: $0, temperature: temperature,
                                 alpha: alpha, gradient: g, gradientScale: 1)
            }
            GradientCheck.check("distillation T=\(temperature) α=\(alpha)", f: loss, x: student.pointer, analytic: g.array,
                                indices: Array(0..<(n * c)), tolerance: 5e-3)
        }
    }

    func testSoftGradientHasAnalyticFormAndIsTemperatureIndependentToFirstOrder() {
        let c = 6
        let zs = GradientCheck.randomValues(c, seed: 21, scale: 2)
        let zt = GradientCheck.randomValues(c, seed: 22, scale: 2)
        func softmax(_ z: [Float], _ t: Double) -> [Double] {
            let e = z.map { exp(Double($0) / t) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        for temperature in [Float(1), 3, 8] {
            // α = 0.7: grad = 0.3·(σ(z_s) − onehot) + 0.7·T·(σ(z_s/T) − σ(z_t/T)).
            let (_, g) = run(zs, zt, labels: [2], classes: c, temperature: temperature, alpha: 0.7)
            let ps = softmax(zs, 1), qs = softmax(zs, Double(temperature)), qt = softmax(zt, Double(temperature))
            let expected = (0..<c).map { k in
                Float(0.3 * (ps[k] - (k == 2 ? 1 : 0)) + 0.7 * Double(temperature) * (qs[k] - qt[k]))
            }
            assertClose(g, expected, rtol: 1e-4, atol: 1e-6, "T = \(temperature)")
        }
        // For large T, T·(σ(z_s/T) − σ(z_t/T)) → ((z_s − z̄_s) − (z_t − z̄_t)) / C, an O(1/T) error
        // (about 0.005 here at T = 50): the T² factor keeps the soft gradient's scale fixed.
        let ms = zs.reduce(0, +) / Float(c), mt = zt.reduce(0, +) / Float(c)
        let limit = (0..<c).map { ((zs[$0] - ms) - (zt[$0] - mt)) / Float(c) }
        let (_, g50) = run(zs, zt, labels: [0], classes: c, temperature: 50, alpha: 1)
        let (_, g100) = run(zs, zt, labels: [0], classes: c, temperature: 100, alpha: 1)
        assertClose(g50, limit, rtol: 0, atol: 0.01, "T = 50")
        assertClose(g100, limit, rtol: 0, atol: 0.005, "T = 100")
        XCTAssertGreaterThan(limit.map(abs).max()!, 0.1, "the limit must not be trivially small")
    }

    func testGradientScaleHonouredAndGradientIsSetNotAccumulated() {
        let n = 4, c = 3
        let zs = GradientCheck.randomValues(n * c, seed: 31, scale: 2)
        let zt = GradientCheck.randomValues(n * c, seed: 32, scale: 2)
        let labels: [Int32] = [0, 1, 2, 1]
        let (a, g1) = run(zs, zt, labels: labels, classes: c, temperature: 2, alpha: 0.5, scale: 1)
        let (b, gQuarter) = run(zs, zt, labels: labels, classes: c, temperature: 2, alpha: 0.5, scale: 0.25)
        XCTAssertEqual(a, b, "the scale applies to the gradient only")
        assertClose(gQuarter, g1.map { $0 * 0.25 }, rtol: 1e-6, atol: 0)

        let stale = Tensor(shape: [2, 7], values: [Float](repeating: 99, count: 14))
        _ = labels.withUnsafeBufferPointer {
            distillationLoss(studentLogits: Tensor(shape: [n, c], values: zs), teacherLogits: Tensor(shape: [n, c], values: zt),
                             labels: $0, temperature: 2, alpha: 0.5, gradient: stale, gradientScale: 1)
        }
        XCTAssertEqual(stale.shape, [n, c])
        XCTAssertEqual(stale.array, g1)
    }

    func testLossSumsAdd() {
        let a = LossSums(total: 1, hard: 2, soft: 3, correct: 4, count: 5)
        var b = a + .zero
        XCTAssertEqual(b, a)
        b += a
        XCTAssertEqual(b, LossSums(total: 2, hard: 4, soft: 6, correct: 8, count: 10))
    }
}
