#if canImport(Glibc)
import Glibc
#endif

/// A self-pipe that wakes a thread waiting on its socket: the worker's compute threads signal
/// it when a result is ready, and the socket thread waits on the coordinator's socket and this
/// pipe at once (``TransportDealer/receive(timeoutMilliseconds:orWakeUp:)``) instead of
/// polling the socket every millisecond.
public final class WakeupPipe: @unchecked Sendable {
    /// The end a waiting thread polls; readable while a wake-up is pending.
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    /// A pipe with both ends non-blocking and closed on exec.
    /// - Throws: ``ZMQError`` (with `pipe` or `fcntl` as the call) when the system refuses.
    public init() throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw WakeupPipe.error("pipe", errno) }
        for end in ends {
            guard fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) == 0, fcntl(end, F_SETFD, FD_CLOEXEC) == 0 else {
                let code = errno
                close(ends[0]); close(ends[1])
                throw WakeupPipe.error("fcntl", code)
            }
        }
        readDescriptor = ends[0]
        writeDescriptor = ends[1]
    }

    private static func error(_ call: String, _ code: Int32) -> ZMQError {
        ZMQError(call: call, errno: code, message: String(cString: strerror(code)))
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    /// Wakes the waiting thread (from any thread). A full pipe already holds a pending wake-up.
    public func signal() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Clears pending wake-ups; called by the waiting thread before it looks for work.
    public func drain() {
        var bytes: UInt64 = 0
        while read(readDescriptor, &bytes, MemoryLayout<UInt64>.size) > 0 {}
    }
}
