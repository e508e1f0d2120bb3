import Foundation
import XCTest
@testable import Core

final class StepReducerTests: XCTestCase {
    private func result(_ index: Int, count: Int, gradients: [Float], statistics: [Float]) -> ShardResult {
        ShardResult(shardIndex: index, loss: LossSums(total: Double(count), hard: 0, soft: 0, correct: index, count: count),
                    batchStatistics: statistics, gradients: FloatValues(gradients), computeSeconds: 0)
    }

    func testMeanIsWeightedBySampleCountAndOrderFree() {
        let results = [
            result(0, count: 3, gradients: [3, 6], statistics: [1, 0]),
            result(1, count: 1, gradients: [1, 2], statistics: [3, 0]),
            result(2, count: 4, gradients: [0.1, 1e7], statistics: [2, 1]),
        ]
        var a = [Float](repeating: 0, count: 2), b = a
        let ra = a.withUnsafeMutableBufferPointer { StepReducer.reduce(results, channels: [1], into: $0) }
        let rb = b.withUnsafeMutableBufferPointer { StepReducer.reduce(results.reversed(), channels: [1], into: $0) }
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "arrival order must not change a bit")
        XCTAssertEqual(a[0], (3 + 1 + 0.1) / 8, accuracy: 1e-6)
        XCTAssertEqual(ra.loss.count, 8)
        XCTAssertEqual(ra.loss.correct, 3)
        XCTAssertEqual(ra.batchStatistics, rb.batchStatistics)
    }

    func testCombinedStatisticsEqualThoseOfTheWholeBatch() {
        // Channel values: shard 0 = {1, 3}, shard 1 = {5, 6, 7}. Whole batch mean 4.4, biased variance 4.64.
        let results = [
            result(0, count: 2, gradients: [0], statistics: [2, 1]),
            result(1, count: 3, gradients: [0], statistics: [6, 2.0 / 3.0]),
        ]
        var g: [Float] = [0]
        let r = g.withUnsafeMutableBufferPointer { StepReducer.reduce(results, channels: [1], into: $0) }
        XCTAssertEqual(r.batchStatistics[0], 4.4, accuracy: 1e-6)
        XCTAssertEqual(r.batchStatistics[1], 4.64, accuracy: 1e-5)
    }

    func testThreadsChangeNoBitOfTheMeanOrItsSumOfSquares() {
        // Four chunks of SquareSum and a ragged end, over 1, 2, 3 and 8 threads.
        let n = 3 * SquareSum.chunk + 4099
        let results = (0..<3).map { s in
            result(s, count: s + 1, gradients: (0..<n).map { Float((($0 * (s + 3)) % 101) - 50) / 13 }, statistics: [1, 1])
        }
        var serial = [Float](repeating: 0, count: n)
        let reference = serial.withUnsafeMutableBufferPointer { StepReducer.reduce(results, channels: [1], into: $0) }
        XCTAssertEqual(reference.sumOfSquares!.bitPattern, serial.withUnsafeBufferPointer { SquareSum.total($0.baseAddress!, count: n) }.bitPattern,
                       "the reducer's sum is SquareSum's")
        let exact = serial.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertEqual(reference.sumOfSquares!, exact, accuracy: 1e-12 * exact)
        for threads in [2, 3, 8] {
            var mean = [Float](repeating: 0, count: n)
            let r = mean.withUnsafeMutableBufferPointer {
                StepReducer.reduce(results, channels: [1], into: $0, parallelism: ElementwiseParallelism(threads: threads))
            }
            XCTAssertEqual(mean.map(\.bitPattern), serial.map(\.bitPattern), "\(threads) threads")
            XCTAssertEqual(r.sumOfSquares!.bitPattern, reference.sumOfSquares!.bitPattern, "\(threads) threads")
        }
    }

    func testOnePassReduceAndStepGivesTheBitsOfReduceThenStep() throws {
        // Long enough to be split over threads, with a decay mask whose segments straddle the
        // blocks and the threads' ranges; three steps, so the optimiser's state takes part.
        let n = 3 * ElementwiseParallelism.minimumCount + 5
        let mask = [17..<70_001, 100_000..<150_000, 190_000..<n]
        func results(step: Int) -> [ShardResult] {
            (0..<3).reversed().map { s in
                result(s, count: 2 * s + 1, gradients: (0..<n).map { Float((($0 * (s + 5) + step) % 89) - 44) / 31 }, statistics: [1, 1])
            }
        }
        let makers: [(String, (ElementwiseParallelism) -> Optimizer)] = [
            ("plain SGD", { SGD(parameterCount: n, weightDecay: 1e-3, decayMask: mask, parallelism: $0) }),
            ("SGD", { SGD(parameterCount: n, momentum: 0.9, weightDecay: 1e-3, decayMask: mask, parallelism: $0) }),
            ("Nesterov", { SGD(parameterCount: n, momentum: 0.9, nesterov: true, weightDecay: 1e-3, decayMask: mask, parallelism: $0) }),
            ("Adam", { Adam(parameterCount: n, weightDecay: 1e-3, decayMask: mask, parallelism: $0) }),
            ("AdamW", { AdamW(parameterCount: n, weightDecay: 1e-2, decayMask: mask, parallelism: $0) }),
        ]
        for (name, make) in makers {
            let twoPasses = make(.serial)
            var reference = (0..<n).map { Float(($0 % 97) - 48) / 17 }
            var mean = [Float](repeating: 0, count: n)
            for step in 0..<3 {
                mean.withUnsafeMutableBufferPointer { _ = StepReducer.reduce(results(step: step), channels: [1], into: $0) }
                reference.withUnsafeMutableBufferPointer { p in
                    mean.withUnsafeBufferPointer { twoPasses.step(parameters: p, gradients: $0, learningRate: 0.01) }
                }
            }
            for threads in [1, 2, 3] {
                let parallelism = ElementwiseParallelism(threads: threads)
                let onePass = make(parallelism)
                var p = (0..<n).map { Float(($0 % 97) - 48) / 17 }
                var losses: [LossSums] = []
                for step in 0..<3 {
                    let r = p.withUnsafeMutableBufferPointer { p in
                        StepReducer.OnePass().reduce(results(step: step), channels: [1], applying: onePass, learningRate: 0.01, to: p,
                                                     parallelism: parallelism) { losses.append($0) }
                    }
                    XCTAssertNil(r.sumOfSquares)
                    XCTAssertEqual(r.batchStatistics, [1, 1])
                }
                XCTAssertEqual(losses.map(\.count), [9, 9, 9], "accept sees the step's loss sums")
                XCTAssertEqual(p.map(\.bitPattern), reference.map(\.bitPattern), "\(name), \(threads) threads: parameters")
                XCTAssertEqual(onePass.state, twoPasses.state, "\(name), \(threads) threads: optimiser state")
            }
        }
    }

    func testOnePassChangesNothingWhenTheStepIsRefused() {
        struct Refused: Error {}
        let n = 5000
        let optimizer = Adam(parameterCount: n)
        let before = optimizer.state
        var p = [Float](repeating: 1, count: n)
        let results = [result(0, count: 2, gradients: [Float](repeating: 0.5, count: n), statistics: [])]
        XCTAssertThrowsError(try p.withUnsafeMutableBufferPointer { p in
            try StepReducer.OnePass().reduce(results, channels: [], applying: optimizer, learningRate: 0.1, to: p) { _ in
                throw Refused()
            }
        })
        XCTAssertEqual(p, [Float](repeating: 1, count: n))
        XCTAssertEqual(optimizer.state, before, "the step was not counted")
    }

    func testTheMeanIsFiniteOnlyByWhatWasChecked() {
        var checked = FloatValues([1, -2, 3])
        XCTAssertNil(checked.verifyMagnitudes(within: ResultShape.maxMagnitude))
        func step(_ values: [FloatValues], count: Int = 1) -> [ShardResult] {
            values.enumerated().map { i, g in
                ShardResult(shardIndex: i, loss: LossSums(total: 1, hard: 0, soft: 0, correct: 0, count: count), batchStatistics: [],
                            gradients: g, computeSeconds: 0)
            }
        }
        XCTAssertTrue(StepReducer.meanIsFinite(step([checked, checked])))
        XCTAssertFalse(StepReducer.meanIsFinite(step([checked, FloatValues([1, 2, 3])])), "an unchecked result")
        var written = checked
        written[1] = .nan
        XCTAssertFalse(StepReducer.meanIsFinite(step([checked, written])), "a write clears the check")
        XCTAssertFalse(StepReducer.meanIsFinite(step([checked], count: 0)), "no samples")
        var huge = FloatValues([1])
        XCTAssertNil(huge.verifyMagnitudes(within: Float.greatestFiniteMagnitude / 3))
        XCTAssertTrue(StepReducer.meanIsFinite(step([huge])))
        XCTAssertFalse(StepReducer.meanIsFinite(step([huge, huge])), "bounds whose sum could overflow")
    }

    func testParallelRangesCoverTheBufferOnceOnAlignedBoundaries() {
        for (count, threads, alignment) in [(0, 4, 64), (100, 4, 64), (ElementwiseParallelism.minimumCount, 3, 64),
                                            (5 * SquareSum.chunk + 7, 4, SquareSum.chunk), (2 * SquareSum.chunk, 8, SquareSum.chunk)] {
            let lock = NSLock()
            var ranges: [Range<Int>] = []
            ElementwiseParallelism(threads: threads).forEachRange(count: count, alignment: alignment) { range in
                lock.lock(); ranges.append(range); lock.unlock()
            }
            let recorder = RangeRecorder()
            ElementwiseParallelism(threads: threads).forEachRange(count: count, alignment: alignment, job: recorder)
            XCTAssertEqual(recorder.ranges.sorted { $0.lowerBound < $1.lowerBound }, ranges.sorted { $0.lowerBound < $1.lowerBound },
                           "the job form splits as the closure form")
            ranges.sort { $0.lowerBound < $1.lowerBound }
            XCTAssertEqual(ranges.flatMap { Array($0) }, Array(0..<count), "\(count) over \(threads)")
            XCTAssertLessThanOrEqual(ranges.count, threads)
            XCTAssertTrue(ranges.dropLast().allSatisfy { $0.upperBound % alignment == 0 }, "\(ranges)")
            if count < ElementwiseParallelism.minimumCount { XCTAssertLessThanOrEqual(ranges.count, 1, "short buffers stay on one thread") }
        }
    }

    func testShardPlanSplitsEvenlyAndDropsEmptyShards() {
        XCTAssertEqual(ShardPlan(batchSize: 10, shards: 4).ranges.map(\.range), [0..<2, 2..<5, 5..<7, 7..<10])
        let small = ShardPlan(batchSize: 2, shards: 4)
        XCTAssertEqual(small.ranges.map(\.index), [1, 3])
        XCTAssertEqual(small.ranges.map(\.range.count), [1, 1])
    }
}

/// Records the ranges ``ElementwiseParallelism/forEachRange(count:alignment:job:)`` hands it.
private final class RangeRecorder: RangeJob {
    private let lock = NSLock()
    private(set) var ranges: [Range<Int>] = []

    func run(_ range: Range<Int>) {
        lock.lock()
        ranges.append(range)
        lock.unlock()
    }
}

final class LocalShardPoolTests: XCTestCase {
    /// One executor per shard: the pool sums the shards' gradients itself (``KernelGradientFold``),
    /// the Dense kernels inside their products, and the first result carries the sum with the
    /// bits of the reducer's left fold of the shards' own gradients (the tiny student has
    /// convolution, BatchNorm and dropout gradients besides its Dense kernels, and shards of
    /// different sizes).
    func testFoldedGradientsHaveTheBitsOfTheLeftFoldOfTheShards() throws {
        try XCTSkipUnless(BLAS.kernel == .distillAVX512, "the fold needs Distill's kernel (this CPU runs \(BLAS.kernel))")
        let tasks = (0..<3).map { tinyTask(shardIndex: $0, sampleOffset: 7 * $0, count: 5 + $0, seed: UInt64(40 + $0)) }
        let alone = try makeTinyExecutor()
        let unfolded = try tasks.map { try alone.executor.run($0, step: 3) }
        let executors = try (0..<3).map { _ in try makeTinyExecutor().executor }
        XCTAssertTrue(KernelGradientFold.applies(to: tasks, executors: executors))
        let pool = LocalShardPool(executors: executors)
        let folded = try pool.compute(step: 3, epoch: 0, parameterVersion: 3, parameters: alone.student, tasks: tasks)
        XCTAssertEqual(folded.map(\.gradientsFolded), [false, true, true])
        XCTAssertEqual(folded.map(\.loss), unfolded.map(\.loss))
        XCTAssertEqual(folded.map(\.batchStatistics), unfolded.map(\.batchStatistics))
        XCTAssertTrue(folded.dropFirst().allSatisfy { $0.gradients.isEmpty })
        let g = unfolded.map { Array($0.gradients) }
        let expected = g[0].indices.map { (g[0][$0] + g[1][$0]) + g[2][$0] }
        let sum = Array(folded[0].gradients)
        let mismatch = sum.indices.first { sum[$0].bitPattern != expected[$0].bitPattern }
        XCTAssertNil(mismatch, "element \(mismatch ?? 0): \(sum[mismatch ?? 0]) against the left fold's \(expected[mismatch ?? 0])")
        XCTAssertNotNil(folded[0].gradients.checkedMagnitude, "the sum is scanned like a result")
        XCTAssertTrue(StepReducer.meanIsFinite(folded))

        // The reducer gives the same mean from either.
        let n = alone.student.layout.parameterCount
        var means = [[Float]](repeating: [Float](repeating: 0, count: n), count: 2)
        for (i, results) in [unfolded, folded].enumerated() {
            means[i].withUnsafeMutableBufferPointer { _ = StepReducer.reduce(results, channels: [4, 8], into: $0) }
        }
        XCTAssertEqual(means[0].map(\.bitPattern), means[1].map(\.bitPattern))

        // More shards than executors: nothing is folded.
        let five = (0..<5).map { tinyTask(shardIndex: $0, sampleOffset: 5 * $0, count: 5, seed: UInt64($0)) }
        XCTAssertFalse(KernelGradientFold.applies(to: five, executors: executors))
        let plain = try pool.compute(step: 4, epoch: 0, parameterVersion: 4, parameters: alone.student, tasks: five)
        XCTAssertFalse(plain.contains { $0.gradientsFolded })
    }

    /// A whole MLP run, its Dense kernels folded by a two-thread pool, ends with the bits of
    /// the same run on one thread, which folds nothing.
    func testAFoldedRunHasTheBitsOfAnUnfoldedOne() throws {
        try XCTSkipUnless(BLAS.kernel == .distillAVX512, "the fold needs Distill's kernel (this CPU runs \(BLAS.kernel))")
        let scratch = NSTemporaryDirectory() + "/distill-fold-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var values: [[Float]] = []
        for threads in [2, 1] {
            let config = try RunConfig.load(path: nil, overrides: [
                "data.train_size=160", "data.test_size=16", "train.batch_size=32", "train.shards=2", "train.steps=6",
                "model.spec=hinton-student", "optimizer.name=sgd", "train.log_every=6"])
            let setup = try TrainingSetup(config: config, parallelism: threads, runID: 5)
            let pool = LocalShardPool(executors: try (0..<threads).map { _ in try setup.makeExecutor() })
            let trainer = try Trainer(setup: setup, backend: pool, evaluator: pool, output: try RunOutput(directory: scratch + "/\(threads)"))
            trainer.report = { _ in }
            _ = try trainer.run()
            values.append(Array(setup.student.values))
        }
        XCTAssertEqual(values[0].map(\.bitPattern), values[1].map(\.bitPattern))
    }

    func testThreadCountDoesNotChangeResults() throws {
        let one = try makeTinyExecutor(), two = try makeTinyExecutor(), three = try makeTinyExecutor()
        let tasks = (0..<5).map { tinyTask(shardIndex: $0, sampleOffset: 5 * $0, count: 5, seed: UInt64($0)) }
        let single = LocalShardPool(executors: [one.executor])
        let double = LocalShardPool(executors: [two.executor, three.executor])
        let a = try single.compute(step: 3, epoch: 0, parameterVersion: 3, parameters: one.student, tasks: tasks)
        let b = try double.compute(step: 3, epoch: 0, parameterVersion: 3, parameters: two.student, tasks: tasks)
        XCTAssertEqual(a, b.map { ShardResult(shardIndex: $0.shardIndex, loss: $0.loss, batchStatistics: $0.batchStatistics,
                                              gradients: $0.gradients, computeSeconds: a[$0.shardIndex].computeSeconds) })
    }
}
