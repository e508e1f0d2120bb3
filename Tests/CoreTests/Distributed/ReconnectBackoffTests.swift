import XCTest
@testable import Core

/// Capped exponential back-off with keyed jitter.
final class ReconnectBackoffTests: XCTestCase {
    func testDoublesFromHalfASecondUpToThirtyWithinTheJitter() {
        let backoff = ReconnectBackoff()
        for failures in 0..<40 {
            let nominal = min(30, 0.5 * pow(2, Double(min(failures, 30))))
            let delay = backoff.delay(afterFailures: failures, name: "worker-1")
            XCTAssertGreaterThanOrEqual(delay, nominal * 0.8, "after \(failures) failures")
            XCTAssertLessThanOrEqual(delay, min(nominal * 1.2, 30), "after \(failures) failures")
        }
        XCTAssertEqual(backoff.delay(afterFailures: -3, name: "w"), backoff.delay(afterFailures: 0, name: "w"))
        XCTAssertLessThanOrEqual(backoff.delay(afterFailures: .max, name: "w"), 30)
        XCTAssertGreaterThanOrEqual(backoff.delay(afterFailures: .max, name: "w"), 24)
    }

    func testJitterIsKeyedByNameAndAttempt() {
        let backoff = ReconnectBackoff()
        XCTAssertEqual(backoff.delay(afterFailures: 3, name: "worker-1"), backoff.delay(afterFailures: 3, name: "worker-1"))
        let fleet = Set((0..<16).map { backoff.delay(afterFailures: 3, name: "worker-\($0)") })
        XCTAssertGreaterThan(fleet.count, 12, "workers started together spread their reconnections")
        XCTAssertEqual(ReconnectBackoff(jitter: 0).delay(afterFailures: 2, name: "any"), 2)
    }
}
