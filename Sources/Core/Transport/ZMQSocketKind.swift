/// The ZeroMQ socket patterns Distill uses.
///
/// The coordinator binds one `router`; every worker connects one `dealer`; a CURVE server's
/// ZAP handler binds one `reply`. A router prefixes
/// each received message with the sender's routing id frame and routes each sent message by
/// its first frame; a dealer sends and receives the bare frames (no empty delimiter frame).
public enum ZMQSocketKind: Sendable {
    /// `ZMQ_ROUTER`: the coordinator side, addressing peers by routing id.
    case router
    /// `ZMQ_DEALER`: the worker side, one asynchronous connection to the router.
    case dealer
    /// `ZMQ_REP`: strict request/reply; the ZAP handler answers libzmq's requests with it.
    case reply
    /// `ZMQ_PAIR`: reads the events of a monitored socket (``ZMQSocket/monitorConnections(on:)``).
    case pair
}
