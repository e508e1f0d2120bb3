import XCTest
@testable import Core

/// The optimisers read the mean of shards' gradients as a ``MeanGradient``; SGD's passes run in
/// C (COptimizer). Both must give the bits of the plain Swift formulas, whatever the shard count,
/// the length (vector groups and tails) and the decay segments.
final class MeanGradientTests: XCTestCase {
    /// Values with awkward bits: signed zeros, subnormals, large and small magnitudes.
    private func values(_ n: Int, seed: Int) -> [Float] {
        let special: [Float] = [0, -0.0, .leastNonzeroMagnitude, -.leastNormalMagnitude, 3e37, -1e-30, 1, -1]
        return (0..<n).map { i in
            let k = (i * 7919 + seed * 104_729) % 1009
            return k < special.count ? special[k] : Float(k - 504) / Float(37 + seed)
        }
    }

    /// `((g₀ + g₁) + …) · scale` per element, as ``StepReducer`` always summed.
    private func referenceMean(_ shards: [[Float]], scale: Float) -> [Float] {
        var m = shards[0]
        for g in shards.dropFirst() { for i in m.indices { m[i] += g[i] } }
        for i in m.indices { m[i] *= scale }
        return m
    }

    /// Calls `body` with `shards` as a ``MeanGradient``.
    private func withMean<R>(_ shards: [[Float]], scale: Float, _ body: (MeanGradient) -> R) -> R {
        let pointers = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: shards.count)
        defer { pointers.deallocate() }
        func nest(_ k: Int) -> R {
            if k == shards.count {
                return body(MeanGradient(shards: UnsafeBufferPointer(start: pointers, count: shards.count), scale: scale))
            }
            return shards[k].withUnsafeBufferPointer { g in
                pointers[k] = g.baseAddress
                return nest(k + 1)
            }
        }
        return nest(0)
    }

    func testSGDOverShardsHasTheBitsOfTheSwiftFormulas() {
        let (lr, mu, wd): (Float, Float, Float) = (0.03, 0.9, 1e-2)
        for n in [1, 15, 16, 17, 40, 4096 + 33] {
            let mask = n > 4 ? [1..<(n / 2), (n / 2 + 2)..<n] : nil
            for shardCount in [1, 2, 3] {
                for variant in ["plain", "momentum", "nesterov"] {
                    let sgd = SGD(parameterCount: n, momentum: variant == "plain" ? 0 : mu, nesterov: variant == "nesterov",
                                  weightDecay: wd, decayMask: mask)
                    var p = values(n, seed: 1), referenceP = p
                    var referenceV = [Float](repeating: 0, count: n)
                    let decay: [Float] = (0..<n).map { i in mask.map { m in m.contains { $0.contains(i) } ? wd : 0 } ?? wd }
                    for step in 0..<3 {
                        let shards = (0..<shardCount).map { values(n, seed: 2 + step * 3 + $0) }
                        let scale: Float = shardCount == 1 && step == 0 ? 1 : 1 / Float(5 + step)
                        // The formulas SGD documents, one element at a time in Swift.
                        let m = referenceMean(shards, scale: scale)
                        for i in 0..<n {
                            switch variant {
                            case "plain":
                                referenceP[i] -= lr * (m[i] + decay[i] * referenceP[i])
                            case "momentum":
                                referenceV[i] = mu * referenceV[i] + m[i] + decay[i] * referenceP[i]
                                referenceP[i] -= lr * referenceV[i]
                            default:
                                let d = m[i] + decay[i] * referenceP[i]
                                referenceV[i] = mu * referenceV[i] + d
                                referenceP[i] -= lr * (d + mu * referenceV[i])
                            }
                        }
                        sgd.beginStep(learningRate: lr)
                        p.withUnsafeMutableBufferPointer { p in
                            withMean(shards, scale: scale) { gradient in
                                // Two ranges, split off the vector groups, as two threads would take them.
                                let split = n / 3
                                sgd.update(0..<split, parameters: p.baseAddress!, gradient: gradient)
                                sgd.update(split..<n, parameters: p.baseAddress!, gradient: gradient)
                            }
                        }
                    }
                    let label = "\(variant), \(shardCount) shards, \(n) elements"
                    XCTAssertEqual(p.map(\.bitPattern), referenceP.map(\.bitPattern), label)
                    if variant != "plain" {
                        XCTAssertEqual(sgd.state.buffers["velocity"]!.map(\.bitPattern), referenceV.map(\.bitPattern), label)
                    }
                }
            }
        }
    }

    func testAdamOverShardsHasTheBitsOfAStepOnTheWrittenMean() {
        // Longer than two of MeanGradient's stack blocks, so the blocks and their tail take part.
        let n = 2 * MeanGradient.block + 5
        let mask = [3..<(n - 7)]
        for make in [{ Adam(parameterCount: n, weightDecay: 1e-3, decayMask: mask) as Optimizer },
                     { AdamW(parameterCount: n, weightDecay: 1e-2, decayMask: mask) as Optimizer }] {
            let overShards = make(), onMean = make()
            var p = values(n, seed: 3), q = p
            for step in 0..<3 {
                let shards = (0..<2).map { values(n, seed: 5 + 2 * step + $0) }
                let scale: Float = 1 / 7
                let mean = referenceMean(shards, scale: scale)
                q.withUnsafeMutableBufferPointer { q in
                    mean.withUnsafeBufferPointer { onMean.step(parameters: q, gradients: $0, learningRate: 1e-3) }
                }
                overShards.beginStep(learningRate: 1e-3)
                p.withUnsafeMutableBufferPointer { p in
                    withMean(shards, scale: scale) { overShards.update(0..<n, parameters: p.baseAddress!, gradient: $0) }
                }
            }
            XCTAssertEqual(p.map(\.bitPattern), q.map(\.bitPattern), "\(type(of: overShards)): parameters")
            XCTAssertEqual(overShards.state, onMean.state, "\(type(of: overShards)): moments")
        }
    }

    func testTheReducersMeanHasTheBitsOfTheLeftFold() {
        let n = 3 * MeanGradient.block + 21
        let shards = (0..<3).map { values(n, seed: 11 + $0) }
        let results = shards.enumerated().map { s, g in
            ShardResult(shardIndex: s, loss: LossSums(total: 1, hard: 0, soft: 0, correct: 0, count: s + 2),
                        batchStatistics: [], gradients: FloatValues(g), computeSeconds: 0)
        }
        var mean = [Float](repeating: .nan, count: n)
        _ = mean.withUnsafeMutableBufferPointer { StepReducer.reduce(results, channels: [], into: $0) }
        XCTAssertEqual(mean.map(\.bitPattern), referenceMean(shards, scale: 1 / 9).map(\.bitPattern))
    }
}
