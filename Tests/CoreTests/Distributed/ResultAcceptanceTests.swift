import XCTest
@testable import Core

/// The content rules, the audit comparison and the per-step record, without sockets.
final class ResultAcceptanceTests: XCTestCase {
    private let shape = ResultShape(parameterCount: 3, batchNormChannels: [2], classes: 2)
    private let task = ShardTask(shardIndex: 1, sampleOffset: 0, count: 2, height: 1, width: 1, channels: 1, images: [0, 1], labels: [0, 1])

    private func result(count: Int = 2, correct: Int = 1, total: Double = 1, gradients: [Float] = [0.5, -1, 2],
                        statistics: [Float] = [0.1, -0.2, 1, 0.5]) -> ShardResult {
        ShardResult(shardIndex: 1, loss: LossSums(total: total, hard: total, soft: 0, correct: correct, count: count),
                    batchStatistics: statistics, gradients: FloatValues(gradients), computeSeconds: 0.01)
    }

    func testEveryContentRuleRejectsWithAReason() {
        XCTAssertNil(shape.problem(in: result(), for: task))
        let cases: [(ShardResult, String)] = [
            (result(count: 3), "3 samples, the task has 2"),
            (result(correct: 3), "3 correct of 2 samples"),
            (result(gradients: [1, 2]), "2 gradients, the student has 3"),
            (result(statistics: [1]), "1 batch statistics, the student has 4"),
            (result(total: -1), "total loss sum -1.0 (must be finite and ≥ 0)"),
            (result(total: .nan), "total loss sum nan (must be finite and ≥ 0)"),
            (result(gradients: [0, .nan, 0]), "gradient 1 is nan"),
            (result(gradients: [0, 0, 1e30]), "gradient 2 is 1e+30"),
            (result(gradients: [0, -.infinity, 0]), "gradient 1 is -inf"),
            (result(statistics: [0, 0, -0.5, 1]), "batch statistic 2 is a variance of -0.5"),
            (result(statistics: [.infinity, 0, 1, 1]), "batch statistic 0 is inf"),
        ]
        for (bad, reason) in cases { XCTAssertEqual(shape.problem(in: bad, for: task), reason) }
    }

    func testAnAcceptedResultsGradientsAreMarkedChecked() {
        var accepted = result()
        XCTAssertNil(accepted.gradients.checkedMagnitude, "decoded values start unchecked")
        XCTAssertNil(shape.check(&accepted, for: task))
        XCTAssertEqual(accepted.gradients.checkedMagnitude, ResultShape.maxMagnitude)
        var refused = result(gradients: [0, 0, 1e30])
        XCTAssertEqual(shape.check(&refused, for: task), "gradient 2 is 1e+30")
        XCTAssertNil(refused.gradients.checkedMagnitude)
    }

    /// Teacher logits come back exactly when asked for, `count × classes` of them, finite: only
    /// such results reach the teacher cache.
    func testTeacherLogitsAreCheckedBeforeTheyCanReachTheCache() {
        let asking = task.askingForTeacherLogits()
        func with(_ logits: [Float]) -> ShardResult {
            var r = result()
            r.teacherLogits = logits
            return r
        }
        XCTAssertNil(shape.problem(in: with([1, 2, 3, 4]), for: asking))
        XCTAssertEqual(shape.problem(in: with([1, 2, 3, 4]), for: task), "4 teacher logits, the task asked for 0")
        XCTAssertEqual(shape.problem(in: result(), for: asking), "0 teacher logits, the task asked for 4")
        XCTAssertEqual(shape.problem(in: with([1, 2, 3]), for: asking), "3 teacher logits, the task asked for 4")
        XCTAssertEqual(shape.problem(in: with([1, .nan, 3, 4]), for: asking), "teacher logit 1 is nan")
        XCTAssertEqual(shape.problem(in: with([1, 2, 3, -.infinity]), for: asking), "teacher logit 3 is -inf")
        let audit = AuditPolicy(fraction: 1, tolerance: 1e-4, key: 1)
        XCTAssertTrue(audit.agree(with([1, 2, 3, 4]), fingerprint: "cpu", with([1, 2, 3, 4]), fingerprint: "cpu"))
        XCTAssertFalse(audit.agree(with([1, 2, 3, 4]), fingerprint: "cpu", with([1, 2, 3, 4.000001]), fingerprint: "cpu"),
                       "a lie in the logits alone fails the audit")
        XCTAssertFalse(audit.agree(with([1, 2, 3, 4]), fingerprint: "a", with([1, 2, 3, 40]), fingerprint: "b"))
    }

    func testAuditComparesBitForBitOnTheSameFingerprintAndWithinToleranceOtherwise() {
        let audit = AuditPolicy(fraction: 1, tolerance: 1e-4, key: 1)
        let a = result()
        var nudged = a
        nudged.gradients[2] = 2.00001
        XCTAssertTrue(audit.agree(a, fingerprint: "cpu / Haswell", a, fingerprint: "cpu / Haswell"))
        XCTAssertFalse(audit.agree(a, fingerprint: "cpu / Haswell", nudged, fingerprint: "cpu / Haswell"), "same machine: bit for bit")
        XCTAssertTrue(audit.agree(a, fingerprint: "cpu / Haswell", nudged, fingerprint: "cpu / Zen"), "within 1e-4 relative L2")
        var wrong = a
        wrong.gradients[2] = 2.01
        XCTAssertFalse(audit.agree(a, fingerprint: "cpu / Haswell", wrong, fingerprint: "cpu / Zen"))
        XCTAssertTrue(audit.agree(a, fingerprint: "", nudged, fingerprint: ""), "unknown fingerprints: tolerance")
        XCTAssertFalse(audit.agree(a, fingerprint: "x", result(count: 1), fingerprint: "y"), "sample counts must match exactly")
    }

    func testAuditSelectionIsKeyedAndNearTheFraction() {
        let audit = AuditPolicy(fraction: 0.25, key: 42)
        let picks = (0..<4000).filter { audit.selects(step: $0 / 4, shard: $0 % 4) }.count
        XCTAssertEqual(Double(picks) / 4000, 0.25, accuracy: 0.03)
        XCTAssertEqual((0..<100).map { audit.selects(step: 3, shard: $0) }, (0..<100).map { audit.selects(step: 3, shard: $0) })
        let other = AuditPolicy(fraction: 0.25, key: 43)
        XCTAssertNotEqual((0..<100).map { audit.selects(step: 3, shard: $0) }, (0..<100).map { other.selects(step: 3, shard: $0) })
        XCTAssertFalse((0..<100).contains { AuditPolicy(fraction: 0, key: 42).selects(step: 0, shard: $0) })
    }

    /// An audited shard settles on two agreeing workers; after a disagreement it takes a third,
    /// and the worker that disagrees with the settled value is named.
    func testAuditedShardSettlesOnAgreementAndNamesTheLiar() {
        let audit = AuditPolicy(fraction: 1, key: 1)
        var step = StepDispatch(step: 0, epoch: 0, version: 0, tasks: [task], audit: audit)
        let (honest1, liar, honest2): ([UInt8], [UInt8], [UInt8]) = ([1], [2], [3])
        step.assign(1, to: liar, at: 0)
        step.assign(1, to: honest1, at: 0)
        XCTAssertEqual(step.pending, [], "two copies out")
        var lie = result()
        lie.gradients[0] = 7
        XCTAssertEqual(step.record(lie, index: 1, from: liar, fingerprint: "f", audit: audit), .waiting)
        XCTAssertEqual(step.record(result(), index: 1, from: honest1, fingerprint: "f", audit: audit), .mismatch)
        XCTAssertEqual(step.pending, [1], "a third copy is needed")
        XCTAssertEqual(step.shards[1]!.excluded, [liar, honest1])
        step.assign(1, to: honest2, at: 0)
        XCTAssertEqual(step.record(result(), index: 1, from: honest2, fingerprint: "f", audit: audit),
                       .settled(audited: true, liars: [liar], revoked: []))
        XCTAssertTrue(step.isComplete)
        XCTAssertEqual(step.results, [result()])
    }

    func testForgettingAWorkerPutsItsCopiesBackAndDropsItsUnsettledResults() {
        let audit = AuditPolicy(fraction: 1, key: 1)
        var step = StepDispatch(step: 0, epoch: 0, version: 0, tasks: [task], audit: audit)
        step.assign(1, to: [9], at: 0)
        step.assign(1, to: [8], at: 0)
        XCTAssertEqual(step.record(result(), index: 1, from: [9], fingerprint: "f", audit: audit), .waiting)
        XCTAssertEqual(step.forget([9]), 0)
        XCTAssertEqual(step.shards[1]!.candidates.count, 0)
        XCTAssertEqual(step.forget([8]), 1)
        XCTAssertEqual(step.pending, [1])
        XCTAssertEqual(step.overdue(sentBefore: 1).count, 0)
    }

    func testDeadlineIsFactorTimesMedianPlusGrace() {
        var deadline = ShardDeadline(factor: 5, grace: 10)
        XCTAssertEqual(deadline.seconds, 5 * 10 + 10, "before any round trip the grace stands in for the median")
        for s in [0.1, 0.3, 0.2, 9.0, .nan] { deadline.observe(s) }
        XCTAssertEqual(deadline.seconds, 5 * 0.3 + 10, accuracy: 1e-12)
    }
}
