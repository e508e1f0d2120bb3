import Foundation
import XCTest
@testable import Core

/// SGD, Adam and AdamW: hand-computed steps, weight decay, masks, and state round trips.
final class OptimizerTests: XCTestCase {
    /// Applies `steps` updates with the given gradients and learning rate to a copy of `start`.
    private func run(_ optimizer: Optimizer, _ start: [Float], gradients: [[Float]], lr: Float) -> [Float] {
        var p = start
        for g in gradients {
            p.withUnsafeMutableBufferPointer { pp in
                g.withUnsafeBufferPointer { optimizer.step(parameters: pp, gradients: $0, learningRate: lr) }
            }
        }
        return p
    }

    func testPlainSGD() {
        // p − lr·g = [1 − 0.05, −2 − 0.025].
        let p = run(SGD(parameterCount: 2), [1, -2], gradients: [[0.5, 0.25]], lr: 0.1)
        assertClose(p, [0.95, -2.025], atol: 1e-7)
    }

    func testSGDMomentumAndNesterov() {
        let g: [[Float]] = [[0.5, 0.25], [0.5, 0.25]]
        // Heavy ball: v₁ = g, p₁ = p − 0.1·g = [0.95, −2.025]; v₂ = 0.9·g + g = [0.95, 0.475], p₂ = [0.855, −2.0725].
        let heavy = run(SGD(parameterCount: 2, momentum: 0.9), [1, -2], gradients: g, lr: 0.1)
        assertClose(heavy, [0.855, -2.0725], atol: 1e-6)
        // Nesterov: p₁ = p − 0.1·(g + 0.9·g) = [0.905, −2.0475]; p₂ = p₁ − 0.1·(g + 0.9·[0.95, 0.475]) = [0.7695, −2.11525].
        let nesterov = run(SGD(parameterCount: 2, momentum: 0.9, nesterov: true), [1, -2], gradients: g, lr: 0.1)
        assertClose(nesterov, [0.7695, -2.11525], atol: 1e-6)
    }

    func testSGDCoupledWeightDecayAndMask() {
        // g + 0.1·p = [0.6, 0.05] -> p = [0.94, −2.005].
        let all = run(SGD(parameterCount: 2, weightDecay: 0.1), [1, -2], gradients: [[0.5, 0.25]], lr: 0.1)
        assertClose(all, [0.94, -2.005], atol: 1e-7)
        // Only elements 1 and 2 decay: zero gradients move exactly those, by lr·wd·p = 1 %.
        let masked = run(SGD(parameterCount: 4, momentum: 0.5, weightDecay: 0.1, decayMask: [1..<3]),
                         [1, 2, 3, 4], gradients: [[0, 0, 0, 0]], lr: 0.1)
        assertClose(masked, [1, 1.98, 2.97, 4], atol: 1e-7)
    }

    func testAdamBiasCorrectionFirstTwoSteps() {
        // lr 0.1, β₁ 0.9, β₂ 0.999, ε 1e-8, p₀ = 1.
        // Step 1, g = 0.5: m = 0.05, v = 0.00025; m̂ = 0.05/0.1 = 0.5, v̂ = 0.00025/0.001 = 0.25;
        //   p₁ = 1 − 0.1·0.5/(0.5 + 1e-8) = 0.9 (the first step is lr·sign(g)).
        // Step 2, g = 0.25: m = 0.045 + 0.025 = 0.07, v = 0.00024975 + 0.0000625 = 0.00031225;
        //   m̂ = 0.07/0.19 = 0.3684211, v̂ = 0.00031225/0.001999 = 0.1562031, √v̂ = 0.3952254;
        //   p₂ = 0.9 − 0.1·0.3684211/0.3952254 = 0.8067820.
        let adam = Adam(parameterCount: 1)
        let p1 = run(adam, [1], gradients: [[0.5]], lr: 0.1)
        assertClose(p1, [0.9], rtol: 1e-6)
        let p2 = run(adam, p1, gradients: [[0.25]], lr: 0.1)
        assertClose(p2, [0.8067820], rtol: 1e-6)
        XCTAssertEqual(adam.state.step, 2)
        assertClose(adam.state.buffers["firstMoment"]!, [0.07], rtol: 1e-6)
        assertClose(adam.state.buffers["secondMoment"]!, [0.00031225], rtol: 1e-5)
    }

    func testCoupledAndDecoupledDecayDiffer() {
        // Zero gradient, p = 1, lr 0.1, wd 0.1.
        // Adam (coupled): g = 0.1 enters the moments and the normalised step is lr·sign = 0.1 -> 0.9.
        // AdamW (decoupled): moments stay 0, p = (1 − lr·wd)·p = 0.99.
        let coupled = run(Adam(parameterCount: 2, weightDecay: 0.1), [1, 1], gradients: [[0, 0.5]], lr: 0.1)
        let decoupled = run(AdamW(parameterCount: 2, weightDecay: 0.1), [1, 1], gradients: [[0, 0.5]], lr: 0.1)
        assertClose(coupled, [0.9, 0.9], rtol: 1e-6)
        // With g = 0.5 AdamW also takes the Adam step: 0.99 − 0.1 = 0.89.
        assertClose(decoupled, [0.99, 0.89], rtol: 1e-6)
    }

    func testAdamDecayMaskHonoured() {
        let mask = [0..<1, 3..<4]
        let adam = run(Adam(parameterCount: 4, weightDecay: 0.1, decayMask: mask), [1, 1, 1, 1], gradients: [[0, 0, 0, 0]], lr: 0.1)
        assertClose(adam, [0.9, 1, 1, 0.9], rtol: 1e-6)
        let adamW = run(AdamW(parameterCount: 4, weightDecay: 0.1, decayMask: mask), [1, 1, 1, 1], gradients: [[0, 0, 0, 0]], lr: 0.1)
        assertClose(adamW, [0.99, 1, 1, 0.99], rtol: 1e-7)
    }

    func testStateRoundTripContinuesBitForBit() throws {
        let count = 37
        let makers: [() -> Optimizer] = [
            { SGD(parameterCount: count, momentum: 0.9, nesterov: true, weightDecay: 0.01, decayMask: [0..<20]) },
            { Adam(parameterCount: count, weightDecay: 0.01) },
            { AdamW(parameterCount: count, weightDecay: 0.05, decayMask: [5..<30]) },
        ]
        let grads = (0..<4).map { GradientCheck.randomValues(count, seed: 40 + UInt64($0)) }
        for make in makers {
            let original = make()
            let p3 = run(original, GradientCheck.randomValues(count, seed: 39), gradients: Array(grads[0..<3]), lr: 0.01)
            let saved = try JSONDecoder().decode(OptimizerState.self, from: JSONEncoder().encode(original.state))
            XCTAssertEqual(saved, original.state)
            XCTAssertEqual(saved.step, 3)
            let restored = make()
            try restored.restore(saved)
            let a = run(original, p3, gradients: [grads[3]], lr: 0.01)
            let b = run(restored, p3, gradients: [grads[3]], lr: 0.01)
            XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(saved.kind)")
            XCTAssertNotEqual(a, p3)
            XCTAssertEqual(restored.state, original.state)
        }
    }

    func testRestoreErrorsNameTheProblemAndChangeNothing() {
        let adam = Adam(parameterCount: 3)
        _ = run(adam, [1, 2, 3], gradients: [[1, 1, 1]], lr: 0.1)
        let before = adam.state
        var wrongLength = before
        wrongLength.buffers["secondMoment"] = [0, 0]
        var missing = before
        missing.buffers["firstMoment"] = nil
        var extra = before
        extra.buffers["velocity"] = [0, 0, 0]
        var negative = before
        negative.step = -1
        let cases: [(OptimizerState, OptimizerError, String)] = [
            (SGD(parameterCount: 3, momentum: 0.9).state, .wrongKind(expected: "Adam", found: "SGD"), "for SGD, expected Adam"),
            (AdamW(parameterCount: 3).state, .wrongKind(expected: "Adam", found: "AdamW"), "for AdamW"),
            (wrongLength, .wrongBufferLength(kind: "Adam", name: "secondMoment", expected: 3, found: 2), "'secondMoment' has 2 elements, expected 3"),
            (missing, .missingBuffer(kind: "Adam", name: "firstMoment"), "lacks buffer 'firstMoment'"),
            (extra, .unexpectedBuffer(kind: "Adam", name: "velocity"), "unexpected buffer 'velocity'"),
            (negative, .negativeStep(kind: "Adam", step: -1), "negative step -1"),
        ]
        for (state, expected, text) in cases {
            XCTAssertThrowsError(try adam.restore(state)) { error in
                XCTAssertEqual(error as? OptimizerError, expected)
                XCTAssertTrue("\(error)".contains(text), "\(error)")
            }
            XCTAssertEqual(adam.state, before)
        }
    }

    func testThreadsChangeNoBitOfAStep() {
        // Long enough to be split (ElementwiseParallelism.minimumCount), with a decay mask whose
        // segments straddle the threads' ranges.
        let n = 3 * ElementwiseParallelism.minimumCount + 5
        let mask = [17..<70_001, 100_000..<150_000, 190_000..<n]
        func run(_ make: (ElementwiseParallelism) -> Optimizer, threads: Int) -> [Float] {
            let optimizer = make(ElementwiseParallelism(threads: threads))
            var p = (0..<n).map { Float(($0 % 97) - 48) / 17 }
            for step in 0..<3 {
                let g = (0..<n).map { Float((($0 * 7 + step) % 89) - 44) / 31 }
                p.withUnsafeMutableBufferPointer { p in
                    g.withUnsafeBufferPointer { optimizer.step(parameters: p, gradients: $0, learningRate: 0.01) }
                }
            }
            return p + optimizer.state.buffers.keys.sorted().flatMap { optimizer.state.buffers[$0]! }
        }
        let makers: [(String, (ElementwiseParallelism) -> Optimizer)] = [
            ("SGD", { SGD(parameterCount: n, momentum: 0.9, weightDecay: 1e-3, decayMask: mask, parallelism: $0) }),
            ("Nesterov", { SGD(parameterCount: n, momentum: 0.9, nesterov: true, weightDecay: 1e-3, decayMask: mask, parallelism: $0) }),
            ("Adam", { Adam(parameterCount: n, weightDecay: 1e-3, decayMask: mask, parallelism: $0) }),
            ("AdamW", { AdamW(parameterCount: n, weightDecay: 1e-2, decayMask: mask, parallelism: $0) }),
        ]
        for (name, make) in makers {
            let serial = run(make, threads: 1)
            for threads in [2, 3, 8] {
                XCTAssertEqual(run(make, threads: threads).map(\.bitPattern), serial.map(\.bitPattern), "\(name), \(threads) threads")
            }
        }
    }
}
