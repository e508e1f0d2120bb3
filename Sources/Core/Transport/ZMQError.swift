/// A failed libzmq call: which call (with its endpoint or option when there is one), the
/// `errno` libzmq reported and libzmq's own text for it (`zmq_strerror`).
///
/// Thrown by ``ZMQContext``, ``ZMQSocket``, ``ZMQPoller`` and ``WakeupPipe`` (for `pipe` and `fcntl`). `EAGAIN` and `EINTR` are never
/// thrown: a receive timeout is `nil`, a send timeout is `false`, interrupted calls are retried.
public struct ZMQError: Error, CustomStringConvertible, Equatable {
    /// The libzmq call that failed, e.g. `zmq_connect("tcp://nowhere")`.
    public let call: String
    /// The error number libzmq reported (`zmq_errno()`), e.g. `EINVAL`, `EHOSTUNREACH`.
    public let errno: Int32
    /// libzmq's description of `errno` (`zmq_strerror`).
    public let message: String

    /// An error for `call` failing with `errno`, described by `message`.
    public init(call: String, errno: Int32, message: String) {
        self.call = call
        self.errno = errno
        self.message = message
    }

    public var description: String { "\(call) failed: \(message) (errno \(errno))" }
}
