import Foundation
import XCTest
@testable import Core

/// The `/metrics` server: routing, addresses, and clients that misbehave.
final class MetricsServerTests: XCTestCase {
    private func route(_ request: String) -> String {
        MetricsServer.route(Array(request.utf8)) { Array("body".utf8) }.status
    }

    func testRouting() {
        XCTAssertEqual(route("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), "200 OK")
        XCTAssertEqual(route("GET /metrics?name=x HTTP/1.0\r\n\r\n"), "200 OK")
        XCTAssertEqual(route("GET / HTTP/1.1\r\n\r\n"), "404 Not Found")
        XCTAssertEqual(route("GET /metricsx HTTP/1.1\r\n\r\n"), "404 Not Found")
        XCTAssertEqual(route("POST /metrics HTTP/1.1\r\n\r\n"), "405 Method Not Allowed")
        XCTAssertEqual(route("GET /metrics\r\n\r\n"), "400 Bad Request")
        XCTAssertEqual(route("\u{0}\u{1}\u{2}"), "400 Bad Request")
        XCTAssertEqual(route(""), "400 Bad Request")
    }

    func testAddresses() throws {
        XCTAssertEqual(try MetricsAddress("9464").description, "127.0.0.1:9464")
        XCTAssertEqual(try MetricsAddress("0.0.0.0:80").description, "0.0.0.0:80")
        for bad in ["", "http", "70000", "-1", "localhost:9464", "1.2.3:9", "[::1]:9464", "1:2:3"] {
            XCTAssertThrowsError(try MetricsAddress(bad), bad) { error in
                guard case .badMetricsAddress(bad, _)? = error as? MonitoringError else { return XCTFail("\(error)") }
            }
        }
    }

    func testServesOverASocketAndOutlivesHostileClients() throws {
        let server = try MetricsServer(address: try MetricsAddress("127.0.0.1:0")) { Array("distill_steps_total 7\n".utf8) }
        defer { server.stop() }
        let port = Int(server.address.split(separator: ":").last!)!
        // A client that connects and says nothing, one that sends an endless header, one that hangs up.
        let silent = try XCTUnwrap(LoopbackHTTP.connect(port))
        defer { close(silent) }
        // The endless header is cut at maxRequestBytes: a 400, or a reset if the server closes while bytes are unread.
        let endless = try XCTUnwrap(LoopbackHTTP.exchange(port, [UInt8](repeating: UInt8(ascii: "a"), count: 3 * MetricsServer.maxRequestBytes)))
        XCTAssertTrue(endless.isEmpty || endless.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), endless)
        close(try XCTUnwrap(LoopbackHTTP.connect(port)))
        let answer = try XCTUnwrap(LoopbackHTTP.get(port, "/metrics"))
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), answer)
        XCTAssertTrue(answer.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), answer)
        XCTAssertTrue(answer.hasSuffix("\r\n\r\ndistill_steps_total 7\n"), answer)
        XCTAssertTrue(try XCTUnwrap(LoopbackHTTP.get(port, "/other")).hasPrefix("HTTP/1.1 404 Not Found\r\n"))
    }
}
