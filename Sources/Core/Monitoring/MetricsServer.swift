import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server for Prometheus scrapes: `GET /metrics` answers with the bytes
/// `body()` returns (text exposition format), any other path with 404, any other method with
/// 405, anything unparsable with 400. One request per connection (`Connection: close`), one
/// connection at a time, on its own thread.
///
/// It cannot stall training and survives hostile clients: the training thread never waits for
/// it; a request is read for at most ``requestTimeout`` seconds and ``maxRequestBytes`` bytes,
/// writes give up after ``requestTimeout`` seconds, and a closed peer never raises SIGPIPE.
public final class MetricsServer: @unchecked Sendable {
    /// The address actually bound, `HOST:PORT` (the real port when asked for port 0).
    public let address: String
    private let listener: Int32
    private let body: () -> [UInt8]
    private let lock = NSLock()
    private var stopped = false
    private var thread: Thread?

    /// Longest request head read (request line and headers).
    public static let maxRequestBytes = 8192
    /// Seconds a connection may take to send its request, and to take the answer.
    public static let requestTimeout = 2.0

    /// Binds `address` (``MetricsAddress``) and starts serving `body()` at `/metrics`.
    /// - Throws: ``MonitoringError/badMetricsAddress(_:detail:)`` when it cannot bind.
    public init(address: MetricsAddress, body: @escaping () -> [UInt8]) throws {
        self.body = body
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MonitoringError.badMetricsAddress(address.description, detail: "socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(address.port).bigEndian
        sin.sin_addr = address.ipv4
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw MonitoringError.badMetricsAddress(address.description, detail: "cannot listen: \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        self.address = "\(address.host):\(UInt16(bigEndian: actual.sin_port))"
        let thread = Thread { [self] in serve() }
        thread.name = "distill-metrics"
        self.thread = thread
        thread.start()
    }

    /// Stops accepting and closes the listening socket (the thread ends within 0.2 s). The
    /// serving thread keeps the server alive until then.
    public func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        if first { shutdown(listener, Int32(SHUT_RDWR)) }
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func serve() {
        defer { close(listener) }
        while !isStopped {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0, !isStopped else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            answer(connection)
            close(connection)
        }
    }

    /// Reads one request head from `fd` and writes the answer.
    private func answer(_ fd: Int32) {
        var timeout = timeval(tv_sec: Int(MetricsServer.requestTimeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let head = readHead(fd) else { return send(fd, status: "400 Bad Request", body: Array("bad request\n".utf8)) }
        let response = MetricsServer.route(head, body: body)
        send(fd, status: response.status, body: response.body)
    }

    /// The request head (up to the blank line), or nil when it is too long, too slow or not there.
    private func readHead(_ fd: Int32) -> [UInt8]? {
        let deadline = MonotonicClock.now() + MetricsServer.requestTimeout
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while head.count < MetricsServer.maxRequestBytes {
            let left = deadline - MonotonicClock.now()
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard left > 0, poll(&poller, 1, Int32(left * 1000) + 1) > 0 else { return nil }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, MetricsServer.maxRequestBytes - head.count), 0) }
            guard n > 0 else { return nil }
            head += chunk[0..<n]
            if let end = MetricsServer.endOfHead(head) { return Array(head[0..<end]) }
        }
        return nil
    }

    /// The index just past the first `\r\n\r\n` (or `\n\n`), if any.
    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 10, bytes[i + 1] == 10 { return i + 2 }
            if i + 3 < bytes.count, bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 { return i + 4 }
            i += 1
        }
        return nil
    }

    /// The status line and body for a request head: a pure function of the request.
    static func route(_ head: [UInt8], body: () -> [UInt8]) -> (status: String, body: [UInt8]) {
        let requestLine = head.prefix { $0 != 13 && $0 != 10 }.split(separator: 32, omittingEmptySubsequences: true)
        guard requestLine.count == 3, requestLine[2].starts(with: Array("HTTP/1.".utf8)) else {
            return ("400 Bad Request", Array("bad request\n".utf8))
        }
        let path = requestLine[1].prefix { $0 != UInt8(ascii: "?") }
        guard Array(path) == Array("/metrics".utf8) else { return ("404 Not Found", Array("not found: try /metrics\n".utf8)) }
        guard Array(requestLine[0]) == Array("GET".utf8) else { return ("405 Method Not Allowed", Array("only GET\n".utf8)) }
        return ("200 OK", body())
    }

    private func send(_ fd: Int32, status: String, body: [UInt8]) {
        let type = status.hasPrefix("200") ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8"
        let bytes = Array("HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }
}

/// Where `train --metrics` listens: `PORT` (on 127.0.0.1) or `HOST:PORT` with an IPv4 address
/// (`0.0.0.0:9464` for every interface).
public struct MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: UInt16
    fileprivate let ipv4: in_addr

    /// Parses `text`.
    /// - Throws: ``MonitoringError/badMetricsAddress(_:detail:)`` naming what is wrong.
    public init(_ text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2 else {
            throw MonitoringError.badMetricsAddress(text, detail: "expected PORT or HOST:PORT with an IPv4 host, e.g. 9464 or 127.0.0.1:9464")
        }
        host = parts.count == 2 ? parts[0] : "127.0.0.1"
        guard let port = UInt16(parts.last!) else {
            throw MonitoringError.badMetricsAddress(text, detail: "the port must be a number from 0 to 65535, e.g. 9464")
        }
        self.port = port
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else {
            throw MonitoringError.badMetricsAddress(text, detail: "\(host) is not an IPv4 address (use 127.0.0.1 for this machine only, 0.0.0.0 for all)")
        }
        ipv4 = address
    }

    public var description: String { "\(host):\(port)" }

    public static func == (a: MetricsAddress, b: MetricsAddress) -> Bool { a.host == b.host && a.port == b.port }
}
