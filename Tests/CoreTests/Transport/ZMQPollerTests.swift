import XCTest
@testable import Core

final class ZMQPollerTests: XCTestCase {
    func testPollReportsOnlyReadableSockets() throws {
        let context = try ZMQContext()
        var options = ZMQSocketOptions()
        options.lingerMilliseconds = 0
        var routers: [ZMQSocket] = []
        var dealers: [ZMQSocket] = []
        var poller = ZMQPoller()
        for index in 0..<3 {
            let router = try ZMQSocket(context: context, kind: .router, options: options)
            try router.bind("tcp://127.0.0.1:0")
            let dealer = try ZMQSocket(context: context, kind: .dealer, options: options)
            try dealer.connect(try router.lastEndpoint)
            XCTAssertEqual(poller.add(router), index)
            routers.append(router)
            dealers.append(dealer)
        }
        XCTAssertEqual(try poller.poll(timeoutMilliseconds: 20), [])
        try dealers[1].send(frames: [[1]])
        XCTAssertEqual(try poller.poll(timeoutMilliseconds: 5000), [1])
        try dealers[2].send(frames: [[2]])
        XCTAssertNotNil(try routers[1].receive(timeoutMilliseconds: 0))
        XCTAssertEqual(try poller.poll(timeoutMilliseconds: 5000), [2])
    }
}
