/// Waits on several sockets at once, e.g. a worker's dealer plus an `inproc://` control socket.
///
/// Not thread-safe, like the sockets it holds.
public struct ZMQPoller {
    /// The sockets polled, in the order ``add(_:)`` received them.
    public private(set) var sockets: [ZMQSocket] = []

    /// An empty poller.
    public init() {}

    /// Adds `socket` and returns its index in the results of ``poll(timeoutMilliseconds:)``.
    @discardableResult
    public mutating func add(_ socket: ZMQSocket) -> Int {
        sockets.append(socket)
        return sockets.count - 1
    }

    /// Waits at most `timeoutMilliseconds` (-1 = forever) until at least one socket has a
    /// message to receive.
    /// - Returns: the indices of the readable sockets, ascending; empty on timeout.
    /// - Throws: ``ZMQError`` if polling fails.
    public func poll(timeoutMilliseconds: Int) throws -> [Int] {
        let readable = try ZMQSocket.pollReadable(sockets, timeoutMilliseconds: timeoutMilliseconds)
        return readable.indices.filter { readable[$0] }
    }
}
