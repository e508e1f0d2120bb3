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
        let analytic = executor.run(task, step: 4).gradients
        GradientCheck.check("tiny student", f: { executor.run(task, step: 4).loss.total },
                            x: student.values.baseAddress!, analytic: analytic,
                            indices: GradientCheck.sampleIndices(count: student.layout.parameterCount, limit: 120),
                            h: 3e-3, tolerance: 2e-2, floor: 1e-2)
    }

    func testResultIsTheSameWhicheverExecutorRunsIt() throws {
        let a = try makeTinyExecutor(), b = try makeTinyExecutor()
        let task = tinyTask(shardIndex: 2, sampleOffset: 10)
        let ra = a.executor.run(task, step: 7)
        _ = b.executor.run(tinyTask(seed: 99), step: 3)  // a different history must not matter
        let rb = b.executor.run(task, step: 7)
        XCTAssertEqual(ra.gradients, rb.gradients)
        XCTAssertEqual(ra.loss, rb.loss)
        XCTAssertEqual(ra.batchStatistics, rb.batchStatistics)
    }

    func testDropoutKeyDependsOnStep() throws {
        let (executor, _, _) = try makeTinyExecutor()
        let task = tinyTask()
        XCTAssertNotEqual(executor.run(task, step: 1).gradients, executor.run(task, step: 2).gradients)
    }

    func testTeacherIsFrozenAndUnchanged() throws {
        let (executor, _, teacher) = try makeTinyExecutor()
        let before = Array(teacher.values) + Array(teacher.state)
        for step in 0..<20 { _ = executor.run(tinyTask(seed: UInt64(step)), step: step) }
        XCTAssertEqual(Array(teacher.values) + Array(teacher.state), before)
    }

    func testAlphaZeroIsPlainCrossEntropy() throws {
        let kd = try makeTinyExecutor(alpha: 0)
        let plain = try ShardExecutor(
            studentSpec: tinyStudent, studentParameters: kd.student, teacher: nil, inputShape: [6, 6, 2], classes: 3,
            objective: .plain, normalization: Normalization(mean: [0.5, 0.4], std: [0.25, 0.3]), seed: 11)
        let task = tinyTask()
        let a = kd.executor.run(task, step: 0), b = plain.run(task, step: 0)
        XCTAssertEqual(a.gradients, b.gradients)
        XCTAssertEqual(a.loss.total, b.loss.total)
    }

    func testBatchStatisticsAreThoseOfTheShard() throws {
        let (executor, _, _) = try makeTinyExecutor()
        let r = executor.run(tinyTask(), step: 0)
        XCTAssertEqual(r.batchStatistics.count, 2 * 4 + 2 * 8)
        XCTAssertTrue(r.batchStatistics[4..<8].allSatisfy { $0 >= 0 }, "variances are non-negative")
        XCTAssertEqual(r.count, 5)
    }
}
