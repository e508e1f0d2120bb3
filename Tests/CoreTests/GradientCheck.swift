import XCTest
@testable import Core

/// Asserts that two float sequences agree elementwise within `atol + rtol·|expected|`,
/// reporting the worst element when they do not.
func assertClose(
    _ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6,
    _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "count mismatch \(message)", file: file, line: line)
    var worst = -1
    var worstExcess: Float = 0
    for i in 0..<min(actual.count, expected.count) {
        let excess = abs(actual[i] - expected[i]) - (atol + rtol * abs(expected[i]))
        if excess > worstExcess || !actual[i].isFinite { worstExcess = excess.isNaN ? .infinity : excess; worst = i }
    }
    if worst >= 0 {
        XCTFail("\(message) element \(worst): \(actual[worst]) vs expected \(expected[worst]) (rtol \(rtol), atol \(atol))",
                file: file, line: line)
    }
}

/// Central-difference gradient checking in Double, the one checker every layer and loss test uses.
enum GradientCheck {
    /// Relative error `|a - n| / max(|a|, |n|, floor)` as reported by the checks.
    static func relativeError(_ analytic: Double, _ numeric: Double, floor: Double = 1e-3) -> Double {
        abs(analytic - numeric) / max(abs(analytic), abs(numeric), floor)
    }

    /// Numeric gradient of the scalar `f` with respect to `x[i]` for every `i` in `indices`,
    /// by central differences with step `h`. `x` is perturbed in place and restored.
    static func numericGradient(
        of f: () -> Double, at x: UnsafeMutablePointer<Float>, indices: [Int], h: Float = 1e-2
    ) -> [Double] {
        indices.map { i in
            let saved = x[i]
            x[i] = saved + h
            let plus = f()
            x[i] = saved - h
            let minus = f()
            x[i] = saved
            return (plus - minus) / (2 * Double(h))
        }
    }

    /// Checks `analytic[i]` against the central difference of `f` at `x[i]` for the sampled
    /// `indices`, failing with the worst index when the relative error exceeds `tolerance`.
    /// Gradients smaller than `floor` are compared in absolute terms (error / floor).
    static func check(
        _ label: String, f: () -> Double, x: UnsafeMutablePointer<Float>, analytic: [Float],
        indices: [Int], h: Float = 1e-2, tolerance: Double, floor: Double = 1e-3,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let numeric = numericGradient(of: f, at: x, indices: indices, h: h)
        var worst = 0.0
        var worstIndex = -1
        for (j, i) in indices.enumerated() {
            let e = relativeError(Double(analytic[i]), numeric[j], floor: floor)
            if e > worst { worst = e; worstIndex = i }
        }
        XCTAssertLessThanOrEqual(
            worst, tolerance,
            "\(label): worst relative error \(worst) at index \(worstIndex) (analytic \(worstIndex >= 0 ? analytic[worstIndex] : 0))",
            file: file, line: line)
    }

    /// Up to `limit` indices spread evenly over `0..<count` (all of them when count ≤ limit).
    static func sampleIndices(count: Int, limit: Int = 64) -> [Int] {
        if count <= limit { return Array(0..<count) }
        return (0..<limit).map { $0 * count / limit }
    }

    /// Deterministic pseudo-random values in [-scale, scale) for test inputs.
    static func randomValues(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        let r = KeyedRandom(seed: seed)
        return (0..<count).map { (r.uniform(UInt64($0)) * 2 - 1) * scale }
    }
}
