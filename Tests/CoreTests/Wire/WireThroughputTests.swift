import XCTest
@testable import Core

/// Measures (does not assert) encode + decode speed of a result carrying 3 MiB of gradients.
final class WireThroughputTests: XCTestCase {
    func testGradientMessageThroughput() throws {
        let gradients = (0..<(3 << 20) / 4).map { Float($0 % 1000) * 1e-3 }
        let message = WireMessage.result(ShardResult(
            shardIndex: 0, loss: LossSums(total: 1, hard: 1, soft: 1, correct: 3, count: 32),
            batchStatistics: [Float](repeating: 0.5, count: 512), gradients: FloatValues(gradients), computeSeconds: 0.1))
        let rounds = 5
        let clock = ContinuousClock()
        var decoded: WireMessage?
        let elapsed = try clock.measure {
            for _ in 0..<rounds {
                decoded = try WireCodec.decode(WireCodec.encode(message, runID: 1, step: 1, parameterVersion: 1)).message
            }
        }
        XCTAssertEqual(decoded, message)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let megabytes = Double(rounds * gradients.count * 4) / 1e6
        print("wire encode+decode of a 3 MiB gradient result: \(megabytes / seconds) MB/s")
    }
}
