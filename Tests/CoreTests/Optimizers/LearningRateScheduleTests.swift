import Foundation
import XCTest
@testable import Core

final class LearningRateScheduleTests: XCTestCase {
    func testConstant() {
        let s = LearningRateSchedule.constant(rate: 0.3)
        XCTAssertEqual([0, 1, 1000].map { s.rate(atStep: $0) }, [0.3, 0.3, 0.3])
    }

    func testStepDecayBoundaries() {
        let s = LearningRateSchedule.step(rate: 0.1, every: 10, gamma: 0.5)
        let rates = [0, 9, 10, 19, 20, 25].map { s.rate(atStep: $0) }
        assertClose(rates, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rtol: 1e-6)
    }

    func testCosineWarmupDecayAndEnd() {
        // Warm-up 4 steps: 0.25, 0.5, 0.75, 1; then cosine over steps 4...14 from 1 to 0.1:
        // step 4: 1, step 9 (half way): 0.1 + 0.9·½ = 0.55, step 14 and later: 0.1.
        let s = LearningRateSchedule.cosine(rate: 1, warmupSteps: 4, totalSteps: 14, minimumRate: 0.1)
        let rates = [0, 1, 3, 4, 9, 14, 100].map { s.rate(atStep: $0) }
        assertClose(rates, [0.25, 0.5, 1, 1, 0.55, 0.1, 0.1], rtol: 1e-6)
        // A fifth of the way (step 6): 0.1 + 0.9·½·(1 + cos(π/5)) ≈ 0.9140
        XCTAssertEqual(s.rate(atStep: 6), Float(0.1 + 0.45 * (1 + cos(Double.pi * 0.2))), accuracy: 1e-6)
        let noWarmup = LearningRateSchedule.cosine(rate: 2, warmupSteps: 0, totalSteps: 10, minimumRate: 0)
        assertClose([0, 5, 10].map { noWarmup.rate(atStep: $0) }, [2, 1, 0], atol: 1e-6)
    }

    func testCodableRoundTrip() throws {
        let schedules: [LearningRateSchedule] = [
            .constant(rate: 0.1), .step(rate: 0.1, every: 30, gamma: 0.1),
            .cosine(rate: 0.05, warmupSteps: 5, totalSteps: 100, minimumRate: 0.001),
        ]
        let decoded = try JSONDecoder().decode([LearningRateSchedule].self, from: JSONEncoder().encode(schedules))
        XCTAssertEqual(decoded, schedules)
    }
}
