/// One multipart message as ``ZMQSocket/receiveMessage(timeoutMilliseconds:maxFrames:)`` read
/// it, with the properties libzmq attached to it about its sender.
public struct ZMQReceivedMessage: Sendable, Equatable {
    /// The frames (a router's start with the sender's routing id); empty when ``excessFrames``.
    public var frames: [Frame] = []
    /// True when the message had more frames than allowed: it was read and discarded.
    public var excessFrames = false
    /// `Peer-Address`: the sender's IP address (TCP; no port), `nil` for ipc:// and inproc://.
    public var peerAddress: String?
    /// `User-Id`: what the ZAP handler returned for this connection (Distill's handler returns
    /// the Z85 public key); `nil` without a ZAP handler.
    public var userID: String?
    /// `ZMQ_SRCFD`: the file descriptor of the connection the message came on; `nil` for inproc://.
    public var sourceDescriptor: Int32?

    /// An empty message.
    public init() {}
}
