import XCTest
@testable import Core

/// A small model touching every layer kind the presets use.
let tinyStudent = ModelSpec(name: "tiny-student", layers: [
    .conv2d(filters: 4, kernel: 3, stride: 1, padding: .same, bias: true), .batchNorm(momentum: 0.9, epsilon: 1e-3),
    .leakyReLU(alpha: 0.1), .maxPool2D(size: 2, stride: nil, padding: .valid), .dropout(rate: 0.3),
    .flatten, .dense(units: 8, bias: true), .batchNorm(momentum: 0.9, epsilon: 1e-3), .leakyReLU(alpha: 0.1),
    .dense(units: nil, bias: true),
])

let tinyTeacher = ModelSpec(name: "tiny-teacher", layers: [
    .conv2d(filters: 6, kernel: 3, stride: 1, padding: .same, bias: true), .batchNorm(momentum: 0.9, epsilon: 1e-3), .relu,
    .basicBlock(filters: 6, stride: 2), .globalAvgPool, .dense(units: nil, bias: true),
])

/// Builds an executor for `tinyStudent` distilled from a randomly initialised `tinyTeacher`.
func makeTinyExecutor(alpha: Float = 0.7, temperature: Float = 3, seed: UInt64 = 11) throws
    -> (executor: ShardExecutor, student: ModelParameters, teacher: ModelParameters) {
    let inputShape = [6, 6, 2]
    let student = ModelParameters(layout: try Network(spec: tinyStudent, inputShape: inputShape, classes: 3).layout)
    student.initialize(seed: seed)
    let teacher = ModelParameters(layout: try Network(spec: tinyTeacher, inputShape: inputShape, classes: 3).layout)
    teacher.initialize(seed: seed + 1)
    let executor = try ShardExecutor(
        studentSpec: tinyStudent, studentParameters: student, teacher: (tinyTeacher, teacher),
        inputShape: inputShape, classes: 3, objective: DistillationObjective(temperature: temperature, alpha: alpha),
        normalization: Normalization(mean: [0.5, 0.4], std: [0.25, 0.3]), seed: seed)
    return (executor, student, teacher)
}

func tinyTask(shardIndex: Int = 0, sampleOffset: Int = 0, count: Int = 5, seed: UInt64 = 3) -> ShardTask {
    let r = KeyedRandom(seed: seed)
    let images = (0..<(count * 72)).map { UInt8(r.index(UInt64($0), below: 256)) }
    let labels = (0..<count).map { Int32(r.index(UInt64(10_000 + $0), below: 3)) }
    return ShardTask(shardIndex: shardIndex, sampleOffset: sampleOffset, count: count, height: 6, width: 6, channels: 2,
                     images: images, labels: labels)
}

final class ShardExecutorTests: XCTestCase {
    func testWholeModelKDGradientMatchesFiniteDifferences() throws {
        // The KD loss through every layer (BatchNorm in training mode, keyed dropout, pooling).
        // Float forward, central differences in Double with h = 3e-3 (small enough not to cross
        // LeakyReLU kinks or change a max-pool winner; T = 2 keeps the loss, and its Float rounding,
        // small): relative error ≤ 2e-2, gradients below
        // 1e-2 compared in absolute terms.
        let (executor, student, _) = try makeTinyExecutor(alpha: 0.5, temperature: 2)
        let task = tinyTask()
        let analytic = Array(try executor.run(task, step: 4).gradients)
        GradientCheck.check("tiny student", f: { executor.compute(validated: task, step: 4).loss.total },
                            x: student.values.baseAddress!, analytic: analytic,
                            indices: GradientCheck.sampleIndices(count: student.layout.parameterCount, limit: 120),
                            h: 3e-3, tolerance: 2e-2, floor: 1e-2)
    }

    func testResultIsTheSameWhicheverExecutorRunsIt() throws {
        let a = try makeTinyExecutor(), b = try makeTinyExecutor()
        let task = tinyTask(shardIndex: 2, sampleOffset: 10)
        let ra = try a.executor.run(task, step: 7)
        _ = try b.executor.run(tinyTask(seed: 99), step: 3)  // a different history must not matter
        let rb = try b.executor.run(task, step: 7)
        XCTAssertEqual(ra.gradients, rb.gradients)
        XCTAssertEqual(ra.loss, rb.loss)
        XCTAssertEqual(ra.batchStatistics, rb.batchStatistics)
        XCTAssertEqual(ra.gradients.checkedMagnitude, ResultShape.maxMagnitude, "checked where they lie")
    }

    func testAHeldResultKeepsItsGradientsAndADroppedOnesBufferIsWrittenAgain() throws {
        // Results read the student's gradient buffer in place: the executor must never write
        // into a buffer a result still holds, and should reuse one nobody holds.
        let (executor, _, _) = try makeTinyExecutor()
        let fresh = try makeTinyExecutor().executor
        var held: [ShardResult] = []
        for step in 0..<(GradientBuffers.kept + 2) { held.append(try executor.run(tinyTask(seed: UInt64(step)), step: step)) }
        for (step, result) in held.enumerated() {
            let expected = try fresh.run(tinyTask(seed: UInt64(step)), step: step)
            XCTAssertEqual(result.gradients.map(\.bitPattern), expected.gradients.map(\.bitPattern), "result of step \(step)")
        }
        held.removeAll()
        let address = { (r: ShardResult) in r.gradients.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }
        let a = address(try executor.run(tinyTask(), step: 8))
        let b = address(try executor.run(tinyTask(), step: 9))
        XCTAssertEqual(a, b, "the buffer of a dropped result is written again")
    }

    func testTeacherLogitsOfASampleDoNotDependOnItsShardMates() throws {
        // What lets cached logits equal recomputed ones (docs/DETERMINISM.md): one pass per shard
        // with Distill's kernel, fixed zero-padded chunks under OpenBLAS. The second teacher's 3×3
        // layer has 16 input channels, so it runs Winograd, whose GEMMs take tiles as rows.
        let winogradTeacher = ModelSpec(name: "winograd-teacher", layers: [
            .conv2d(filters: 16, kernel: 3, stride: 1, padding: .same, bias: true), .relu,
            .conv2d(filters: 16, kernel: 3, stride: 1, padding: .same, bias: true), .batchNorm(momentum: 0.9, epsilon: 1e-3),
            .relu, .flatten, .dense(units: nil, bias: true),
        ])
        for spec in [tinyTeacher, winogradTeacher] {
            let teacher = ModelParameters(layout: try Network(spec: spec, inputShape: [6, 6, 2], classes: 3).layout)
            teacher.initialize(seed: 5)
            let executor = try ShardExecutor(
                studentSpec: tinyStudent, studentParameters: try makeTinyExecutor().student, teacher: (spec, teacher),
                inputShape: [6, 6, 2], classes: 3, objective: DistillationObjective(temperature: 3, alpha: 0.7),
                normalization: Normalization(mean: [0.5, 0.4], std: [0.25, 0.3]), seed: 11)
            // 37 samples: more than an OpenBLAS chunk, a multiple neither of it nor of the kernel's 14 rows.
            var whole = tinyTask(count: 37)
            whole.returnsTeacherLogits = true
            let all = try executor.run(whole, step: 1).teacherLogits
            XCTAssertEqual(all.count, 37 * 3)
            for (first, count) in [(0, 1), (5, 3), (20, 17), (36, 1), (1, 33)] {
                var part = ShardTask(shardIndex: 0, sampleOffset: 0, count: count, height: 6, width: 6, channels: 2,
                                     images: Array(whole.images[(first * 72)..<((first + count) * 72)]),
                                     labels: Array(whole.labels[first..<(first + count)]))
                part.returnsTeacherLogits = true
                XCTAssertEqual(try executor.run(part, step: 2).teacherLogits, Array(all[(first * 3)..<((first + count) * 3)]),
                               "\(spec.name): samples \(first)..<\(first + count) alone (\(BLAS.kernelName))")
            }
        }
    }

    func testDropoutKeyDependsOnStep() throws {
        let (executor, _, _) = try makeTinyExecutor()
        let task = tinyTask()
        XCTAssertNotEqual(try executor.run(task, step: 1).gradients, try executor.run(task, step: 2).gradients)
    }

    func testTeacherIsFrozenAndUnchanged() throws {
        let (executor, _, teacher) = try makeTinyExecutor()
        let before = Array(teacher.values) + Array(teacher.state)
        for step in 0..<20 { _ = try executor.run(tinyTask(seed: UInt64(step)), step: step) }
        XCTAssertEqual(Array(teacher.values) + Array(teacher.state), before)
    }

    func testAlphaZeroIsPlainCrossEntropy() throws {
        let kd = try makeTinyExecutor(alpha: 0)
        let plain = try ShardExecutor(
            studentSpec: tinyStudent, studentParameters: kd.student, teacher: nil, inputShape: [6, 6, 2], classes: 3,
            objective: .plain, normalization: Normalization(mean: [0.5, 0.4], std: [0.25, 0.3]), seed: 11)
        let task = tinyTask()
        let a = try kd.executor.run(task, step: 0), b = try plain.run(task, step: 0)
        XCTAssertEqual(a.gradients, b.gradients)
        XCTAssertEqual(a.loss.total, b.loss.total)
    }

    func testBatchStatisticsAreThoseOfTheShard() throws {
        let (executor, _, _) = try makeTinyExecutor()
        let r = try executor.run(tinyTask(), step: 0)
        XCTAssertEqual(r.batchStatistics.count, 2 * 4 + 2 * 8)
        XCTAssertTrue(r.batchStatistics[4..<8].allSatisfy { $0 >= 0 }, "variances are non-negative")
        XCTAssertEqual(r.count, 5)
    }

    // A coordinator is not trusted: what it sends is checked before it indexes memory, with an
    // error naming the shard and the field (release builds have no preconditions).

    func testLabelOutsideTheClassesIsRejected() throws {
        let (executor, _, _) = try makeTinyExecutor()
        let good = tinyTask(shardIndex: 4)
        for label: Int32 in [3, -1, .max] {
            var labels = good.labels
            labels[2] = label
            let task = ShardTask(shardIndex: 4, sampleOffset: 0, count: good.count, height: 6, width: 6, channels: 2,
                                 images: good.images, labels: labels)
            XCTAssertThrowsError(try executor.run(task, step: 0)) { error in
                XCTAssertEqual(error as? ShardExecutorError, .badShard(shard: 4, detail: "label \(label) of sample 2 is outside 0..<3"))
            }
        }
    }

    func testShardsThatDoNotFitTheModelAreRejected() throws {
        let (executor, _, _) = try makeTinyExecutor()
        let wrongShape = ShardTask(shardIndex: 1, sampleOffset: 0, count: 2, height: 6, width: 12, channels: 1,
                                   images: [UInt8](repeating: 0, count: 144), labels: [0, 1])
        let empty = ShardTask(shardIndex: 2, sampleOffset: 0, count: 0, height: 6, width: 6, channels: 2, images: [], labels: [])
        let negativeOffset = tinyTask(shardIndex: 3, sampleOffset: -5)
        let cases: [(ShardTask, Int, String)] = [
            (wrongShape, 0, "shard 1: holds [6, 12, 1] images, the model takes [6, 6, 2]"),
            (empty, 0, "shard 2: holds 0 samples, expected at least 1"),
            (negativeOffset, 0, "shard 3: sample offset -5 is negative"),
            (tinyTask(), -1, "shard 0: step -1 is negative"),
        ]
        for (task, step, message) in cases {
            XCTAssertThrowsError(try executor.run(task, step: step)) { XCTAssertEqual("\($0)", message) }
        }
    }

    func testLocalPoolRejectsABadShardBeforeComputingAny() throws {
        let (executor, _, _) = try makeTinyExecutor()
        let pool = LocalShardPool(executors: [executor])
        let bad = ShardTask(shardIndex: 1, sampleOffset: 5, count: 1, height: 6, width: 6, channels: 2,
                            images: [UInt8](repeating: 0, count: 72), labels: [7])
        XCTAssertThrowsError(try pool.compute(step: 0, epoch: 0, parameterVersion: 0, parameters: executor.student.parameters!,
                                              tasks: [tinyTask(), bad])) { error in
            XCTAssertEqual(error as? ShardExecutorError, .badShard(shard: 1, detail: "label 7 of sample 0 is outside 0..<3"))
        }
    }

    func testRunDescriptionValuesOutOfRangeAreRejected() throws {
        let inputShape = [6, 6, 2]
        let student = ModelParameters(layout: try Network(spec: tinyStudent, inputShape: inputShape, classes: 3).layout)
        func make(_ objective: DistillationObjective, _ normalization: Normalization) throws -> ShardExecutor {
            try ShardExecutor(studentSpec: tinyStudent, studentParameters: student, teacher: nil, inputShape: inputShape, classes: 3,
                              objective: objective, normalization: normalization, seed: 1)
        }
        let good = Normalization(mean: [0.5, 0.4], std: [0.25, 0.3])
        for std: [Float] in [[0.25, 0], [0.25, -1], [.nan, 0.3], [.infinity, 0.3], [.leastNonzeroMagnitude, 0.3], [0.25]] {
            XCTAssertThrowsError(try make(.plain, Normalization(mean: [0.5, 0.4], std: std))) { error in
                guard case .badNormalization? = error as? DataError else { return XCTFail("\(error)") }
            }
        }
        for (t, a): (Float, Float) in [(0, 0.5), (-1, 0.5), (.nan, 0.5), (.infinity, 0.5), (2, -0.1), (2, 1.5), (2, .nan)] {
            XCTAssertThrowsError(try make(DistillationObjective(temperature: t, alpha: a), good)) { error in
                XCTAssertTrue(error is ShardExecutorError, "\(error)")
            }
        }
        XCTAssertThrowsError(try ShardExecutor(studentSpec: tinyStudent, studentParameters: student, teacher: nil, inputShape: [6, 6], classes: 3,
                                               objective: .plain, normalization: good, seed: 1)) { error in
            XCTAssertTrue(error is ModelSpecError, "\(error)")
        }
    }
}
