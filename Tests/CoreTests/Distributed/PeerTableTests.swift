import XCTest
@testable import Core

/// The peer table's per-address join allowance: a burst for the workers of one host, then a
/// steady rate, kept per address.
final class PeerTableTests: XCTestCase {
    func testJoinsPerAddressAreABurstThenASteadyRate() {
        var table = PeerTable()
        let burst = Int(PeerTable.joinBurst)
        for i in 0..<burst { XCTAssertTrue(table.mayJoin(from: "10.0.0.1", now: 100), "join \(i) of the burst") }
        XCTAssertFalse(table.mayJoin(from: "10.0.0.1", now: 100), "the burst is spent")
        XCTAssertTrue(table.mayJoin(from: "10.0.0.2", now: 100), "another address has its own allowance")
        XCTAssertTrue(table.mayJoin(from: nil, now: 100), "ipc:// and inproc:// peers share one local allowance")
        // After t seconds, t × joinsPerSecond joins are allowed again, no more.
        let later = 100 + 1 / PeerTable.joinsPerSecond
        XCTAssertTrue(table.mayJoin(from: "10.0.0.1", now: later))
        XCTAssertFalse(table.mayJoin(from: "10.0.0.1", now: later))
    }
}
