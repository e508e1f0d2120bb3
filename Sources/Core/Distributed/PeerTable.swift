/// A shard of one step: the coordinator's key for "who was given what".
struct ShardKey: Hashable {
    let step: Int
    let shard: Int
}

/// One worker the coordinator has welcomed, as the coordinator sees it. Everything here is
/// state the coordinator owns; nothing is taken from what the worker claims but its name,
/// compute fingerprint (used for logs and audit comparisons only) and thread count (which
/// only sizes the shard count of a run that leaves `train.shards` at 0, capped by the batch).
struct Peer {
    /// ZeroMQ routing id.
    let id: [UInt8]
    let name: String
    /// Where it connected from: its IP address (TCP), or "local" (ipc://, inproc://).
    let address: String
    /// Join order (dispatch ties go to the earliest).
    let order: Int
    /// ``ComputeFingerprint`` the worker reported at join.
    let fingerprint: String
    /// Compute threads the worker declared at join (at least 1, at most ``PeerTable/maxThreads``).
    let threads: Int
    /// The CURVE key it authenticated with (nil on an insecure transport): refused with it.
    let key: CurvePublicKey?
    /// Tasks the worker has asked for and not yet been given.
    var credit = 0
    /// Parameter version the worker holds.
    var version: Int?
    var lastHeard: Double
    var lastSent: Double
    /// Rejected results that count against the worker (see ``ResultRejection/isStrike``).
    var strikes = 0
    /// Results accepted from it, and the seconds from sending each of those shards to its answer.
    var shardsDone = 0
    var shardSeconds = 0.0
    /// Shards taken away from this worker (deadline, or settled by others) that it may still
    /// answer honestly: such a late answer is stale, not a strike. Bounded by ``PeerTable/maxRevoked``.
    var revoked: Set<ShardKey> = []
    /// Whether parameters go to it, and its gradients come, through shared memory (local mode).
    var sharesMemory = false
    /// Its gradients region, mapped at its first result that names it.
    var gradientRegion: SharedMemoryRegion?
}

/// The coordinator's table of workers: the welcomed ones by routing id, the ones refused for
/// the rest of the run, and a bounded memory of strangers (peers that have not joined) so
/// that each is answered at most once per ``strangerAnswerInterval``.
struct PeerTable {
    /// Welcomed workers by routing id.
    private(set) var peers: [[UInt8]: Peer] = [:]
    private var joins = 0
    private var refusedIDs: Set<[UInt8]> = []
    private var refusedNames: Set<String> = []
    /// Routing id → when a stranger was last answered.
    private var strangers: [[UInt8]: Double] = [:]
    /// Join allowance per peer address (a token bucket each): see ``mayJoin(from:now:)``.
    private var joinTokens: [String: (tokens: Double, at: Double)] = [:]

    /// Seconds between two answers to the same stranger (joins included: a rate limit per peer).
    static let strangerAnswerInterval = 10.0
    /// Strangers remembered at once; beyond that the memory is cleared (it only limits answers).
    static let maxStrangers = 4096
    /// Revoked shards remembered per worker.
    static let maxRevoked = 1024
    /// Most compute threads a worker's join is believed to declare.
    static let maxThreads = 1024

    /// Compute threads of every welcomed worker together.
    var threads: Int { peers.values.reduce(0) { $0 + $1.threads } }

    var count: Int { peers.count }
    subscript(id: [UInt8]) -> Peer? {
        get { peers[id] }
        set { peers[id] = newValue }
    }

    /// Whether this routing id or worker name was refused for the rest of the run.
    func isRefused(id: [UInt8], name: String? = nil) -> Bool {
        refusedIDs.contains(id) || name.map(refusedNames.contains) ?? false
    }

    /// Adds a welcomed worker.
    mutating func admit(id: [UInt8], name: String, address: String, fingerprint: String, threads: Int = 1, key: CurvePublicKey?,
                        now: Double) -> Peer {
        joins += 1
        let peer = Peer(id: id, name: name, address: address, order: joins, fingerprint: fingerprint,
                        threads: min(max(threads, 1), PeerTable.maxThreads), key: key, lastHeard: now, lastSent: now)
        peers[id] = peer
        return peer
    }

    /// Forgets a worker (it may join again).
    mutating func remove(_ id: [UInt8]) { peers[id] = nil }

    /// Forgets a worker and refuses its routing id and name for the rest of the run.
    mutating func refuseForRun(_ id: [UInt8]) {
        if let name = peers[id]?.name { refusedNames.insert(name) }
        refusedIDs.insert(id)
        peers[id] = nil
    }

    /// Whether a stranger may be answered now (and records the answer if so).
    mutating func mayAnswerStranger(_ id: [UInt8], now: Double) -> Bool {
        if let last = strangers[id], now - last < PeerTable.strangerAnswerInterval { return false }
        if strangers.count >= PeerTable.maxStrangers { strangers.removeAll(keepingCapacity: true) }
        strangers[id] = now
        return true
    }

    /// Joins one address may make in a burst (several workers per host join together).
    static let joinBurst = 32.0
    /// Joins per second one address regains after a burst.
    static let joinsPerSecond = 2.0

    /// Whether a join from `address` (nil: ipc:// or inproc://, counted as one local address)
    /// is within its allowance, and takes one join from it if so.
    mutating func mayJoin(from address: String?, now: Double) -> Bool {
        let name = address ?? "local"
        var bucket = joinTokens[name] ?? (PeerTable.joinBurst, now)
        bucket.tokens = min(PeerTable.joinBurst, bucket.tokens + (now - bucket.at) * PeerTable.joinsPerSecond)
        bucket.at = now
        guard bucket.tokens >= 1 else {
            joinTokens[name] = bucket
            return false
        }
        bucket.tokens -= 1
        if joinTokens.count >= PeerTable.maxStrangers { joinTokens.removeAll(keepingCapacity: true) }
        joinTokens[name] = bucket
        return true
    }

    /// Records that `shard` was taken from worker `id` while it may still be computing it.
    mutating func revoke(_ key: ShardKey, from id: [UInt8]) {
        guard var peer = peers[id] else { return }
        if peer.revoked.count >= PeerTable.maxRevoked { peer.revoked.removeAll() }
        peer.revoked.insert(key)
        peers[id] = peer
    }

    /// Whether `key` was revoked from worker `id` (and forgets it: one late answer is stale, a second a replay).
    mutating func takeRevoked(_ key: ShardKey, from id: [UInt8]) -> Bool {
        peers[id]?.revoked.remove(key) != nil
    }

    /// The worker with room (by default: credit), not in `excluded`, holding the fewest of
    /// `outstanding` (ties: earliest joined).
    func leastLoaded(excluding excluded: Set<[UInt8]>, outstanding: [[UInt8]: Int],
                     hasRoom: (Peer) -> Bool = { $0.credit > 0 }) -> Peer? {
        peers.values.filter { hasRoom($0) && !excluded.contains($0.id) }
            .min { (outstanding[$0.id] ?? 0, $0.order) < (outstanding[$1.id] ?? 0, $1.order) }
    }

    /// The welcomed workers as monitors see them, in join order.
    func snapshot() -> [WorkerSnapshot] {
        peers.values.sorted { $0.order < $1.order }.map {
            WorkerSnapshot(name: $0.name, address: $0.address, shardsDone: $0.shardsDone, shardSeconds: $0.shardSeconds, lastHeard: $0.lastHeard)
        }
    }

    /// Whether any welcomed worker (with or without credit) is outside `excluded`.
    func hasWorker(outside excluded: Set<[UInt8]>) -> Bool {
        peers.keys.contains { !excluded.contains($0) }
    }
}
