import XCTest
@testable import Core

final class DivergenceGuardTests: XCTestCase {
    func testRunningMedianIsTheSortedListsMiddle() {
        for length in [1, 2, 3, 10, 257] {
            var median = RunningMedian()
            var values: [Double] = []
            let random = KeyedRandom(seed: 7, UInt64(length))
            for i in 0..<length {
                // Few distinct values, so ties are common; keyed, so a failure reproduces.
                let value = Double(random.index(UInt64(i), below: 41) - 20) / 4
                values.append(value)
                median.add(value)
                let sorted = values.sorted(), n = sorted.count
                let expected = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
                XCTAssertEqual(median.median, expected, "\(values)")
                XCTAssertEqual(median.count, n)
            }
        }
        XCTAssertNil(RunningMedian().median)
    }

    func testMedianOfAcceptedSteps() throws {
        var guard_ = DivergenceGuard(isEnabled: true, factor: 1000)
        XCTAssertNil(guard_.median)
        for (i, loss) in [2.0, 5.0, 1.0, 3.0].enumerated() { try guard_.check(step: i + 1, loss: loss, gradientIsFinite: true) }
        XCTAssertEqual(guard_.median, 2.5)
        try guard_.check(step: 5, loss: 2500, gradientIsFinite: true)
        XCTAssertEqual(guard_.median, 3, "an accepted loss counts")
    }

    func testALossAboveFactorTimesTheMedianIsRefusedAndNotRecorded() throws {
        var guard_ = DivergenceGuard(isEnabled: true, factor: 1000)
        try guard_.check(step: 1, loss: 2.3, gradientIsFinite: true)
        try guard_.check(step: 2, loss: 2300, gradientIsFinite: true)
        XCTAssertThrowsError(try guard_.check(step: 3, loss: 1.2e6, gradientIsFinite: true)) { error in
            let divergence = error as? Divergence
            guard case let .lossAboveMedian(median, factor)? = divergence?.cause else { return XCTFail("\(error)") }
            XCTAssertEqual(median, 1151.15, accuracy: 1e-9)
            XCTAssertEqual(factor, 1000)
            XCTAssertEqual(divergence?.stopReason, .diverged)
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("training diverged at step 3: its loss 1.2e+06 is more than 1000 × the median loss 1151 of the steps so far. "
                + "The step was not applied; the outputs hold the parameters after step 2."), message)
            for advice in ["optimizer.learning_rate", "optimizer.clip_norm", "optimizer.warmup_steps", "model.init"] {
                XCTAssertTrue(message.contains(advice), "\(advice) in \(message)")
            }
        }
        XCTAssertEqual(guard_.median ?? 0, 1151.15, accuracy: 1e-9)
    }

    func testNonFiniteStepsAreRefusedEvenWithTheGuardOff() throws {
        for enabled in [true, false] {
            var guard_ = DivergenceGuard(isEnabled: enabled, factor: 1000)
            try guard_.check(step: 1, loss: 2, gradientIsFinite: true)
            XCTAssertThrowsError(try guard_.check(step: 2, loss: .nan, gradientIsFinite: true)) { error in
                XCTAssertEqual((error as? Divergence)?.cause, .nonFiniteLoss)
                XCTAssertEqual((error as? Divergence)?.stopReason, enabled ? .diverged : .nonFinite)
                XCTAssertTrue("\(error)".hasPrefix("training diverged at step 2: its loss is nan."), "\(error)")
            }
            XCTAssertThrowsError(try guard_.check(step: 2, loss: 2, gradientIsFinite: false)) { error in
                XCTAssertEqual((error as? Divergence)?.cause, .nonFiniteGradient)
                XCTAssertTrue("\(error)".contains("its mean gradient holds a non-finite value (loss 2)"), "\(error)")
            }
        }
        var off = DivergenceGuard(isEnabled: false, factor: 1000)
        try off.check(step: 1, loss: 2, gradientIsFinite: true)
        XCTAssertNoThrow(try off.check(step: 2, loss: 1e9, gradientIsFinite: true), "off: only non-finite values stop a run")
    }
}
