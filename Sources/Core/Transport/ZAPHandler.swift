import Foundation

/// The ZAP handler (ZeroMQ RFC 27) of a CURVE server: a thread with a REP socket bound to
/// `inproc://zeromq.zap.01` in the transport's context. libzmq sends it one request per
/// CURVE handshake (with the client's address and public key) and admits the client only
/// if it answers 200. It answers 200 with the Z85 public key as `User-Id` for keys the
/// ``CurveAuthorizer`` admits, and 400 for all others, logging each refusal with the peer's
/// address and key fingerprint (once per address and key, so a reconnect loop cannot flood
/// the log).
final class ZAPHandler: @unchecked Sendable {
    /// The endpoint libzmq sends ZAP requests to (fixed by RFC 27).
    static let endpoint = "inproc://zeromq.zap.01"

    private let socket: ZMQSocket
    private let authorizer: CurveAuthorizer
    private let report: @Sendable (String) -> Void
    private let condition = NSCondition()
    private var stopping = false
    private var running = true
    private var refusals = 0
    private var logged: Set<String> = []

    /// Binds the handler's socket in `context` (before any CURVE server socket accepts
    /// connections) and starts its thread.
    /// - Throws: ``ZMQError`` if another handler is bound in `context` already.
    init(context: ZMQContext, authorizer: CurveAuthorizer, report: @escaping @Sendable (String) -> Void) throws {
        var options = ZMQSocketOptions()
        options.lingerMilliseconds = 0
        options.heartbeat = nil
        options.maxMessageBytes = -1
        socket = try ZMQSocket(context: context, kind: .reply, options: options)
        try socket.bind(ZAPHandler.endpoint)
        self.authorizer = authorizer
        self.report = report
        let thread = Thread { [self] in serve() }
        thread.name = "distill-zap"
        thread.start()
    }

    /// Handshakes refused so far.
    var refusedCount: Int {
        condition.lock(); defer { condition.unlock() }
        return refusals
    }

    /// Stops the thread and waits until it has let go of its socket.
    func stop() {
        condition.lock()
        stopping = true
        while running { condition.wait() }
        condition.unlock()
    }

    private var shouldStop: Bool {
        condition.lock(); defer { condition.unlock() }
        return stopping
    }

    private func serve() {
        defer {
            condition.lock()
            running = false
            condition.broadcast()
            condition.unlock()
        }
        while !shouldStop {
            do {
                guard let request = try socket.receive(timeoutMilliseconds: 100) else { continue }
                try socket.send(frames: answer(request.map(\.bytes)).map(Frame.init))
            } catch {
                report("ZAP handler stopped: \(error); CURVE clients can no longer be admitted")
                return
            }
        }
    }

    /// The reply frames for request `frames`: version, request id, status code, status
    /// text, user id, metadata (empty).
    private func answer(_ frames: [[UInt8]]) -> [[UInt8]] {
        let version = Array("1.0".utf8)
        guard frames.count >= 6, frames[0] == version else {
            return [version, frames.count > 1 ? frames[1] : [], Array("500".utf8), Array("unsupported ZAP request".utf8), [], []]
        }
        let requestID = frames[1]
        let address = String(decoding: frames[3], as: UTF8.self)
        let mechanism = String(decoding: frames[5], as: UTF8.self)
        guard mechanism == "CURVE", frames.count == 7, let key = CurvePublicKey(bytes: frames[6]) else {
            refuse(address: address, what: "\(mechanism) handshake without a CURVE key")
            return [version, requestID, Array("400".utf8), Array("CURVE key required".utf8), [], []]
        }
        switch authorizer.decide(key) {
        case .admitted:
            return [version, requestID, Array("200".utf8), Array("OK".utf8), Array(key.z85.utf8), []]
        case .unknown:
            refuse(address: address, what: "key \(key.fingerprint) is not in \(authorizer.keys.authorizedFolder)")
        case .banned:
            refuse(address: address, what: "key \(key.fingerprint) is banned for this run")
        }
        return [version, requestID, Array("400".utf8), Array("key not authorised".utf8), [], []]
    }

    private func refuse(address: String, what: String) {
        let line = "refused a connection from \(address.isEmpty ? "a local peer" : address): \(what)"
        condition.lock()
        refusals += 1
        if logged.count >= 4096 { logged.removeAll() }
        let first = logged.insert(line).inserted
        condition.unlock()
        if first { report(line) }
    }
}
