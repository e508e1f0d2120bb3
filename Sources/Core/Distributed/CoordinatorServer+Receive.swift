// What the coordinator does with each message a peer sends: joins, credit, results, errors.
// A peer that has not joined (a stranger) gets at most one answer per interval, and that
// answer carries no run information (run id 0 in the header, no run id in the text).

extension CoordinatorServer {
    /// Handles one message as received by the router.
    func handle(_ inbound: InboundMessage) {
        let id = inbound.peer.bytes
        guard inbound.frames.count <= CoordinatorServer.maxInboundFrames else {
            statistics.droppedMessages += 1
            return
        }
        guard !peers.isRefused(id: id) else {
            statistics.droppedMessages += 1
            return
        }
        cost.bytesReceived += inbound.frames.reduce(id.count) { $0 + $1.count }
        let started = MonotonicClock.now()
        let decoded: (header: WireHeader, message: WireMessage)
        do {
            decoded = try WireCodec.decode(inbound.frames, sharedMemory: peers[id]?.sharesMemory == true ? { try self.gradientRegion(of: id) } : nil)
            cost.serializationSeconds += MonotonicClock.now() - started
        } catch {
            cost.serializationSeconds += MonotonicClock.now() - started
            if peers[id] != nil {
                // A result that cannot be decoded (bad bytes, or a shared-memory reference outside
                // the worker's region) answers none of its copies: hand them to others now,
                // rather than at the deadline.
                if let first = inbound.frames.first, (try? WireHeader(decoding: first.bytes))?.kind == .result { releaseShards(of: id) }
                strike(id, "undecodable message: \(error)")
            } else {
                let code: WireErrorCode
                if case WireError.unsupportedVersion = error { code = .unsupportedVersion } else { code = .malformed }
                answerStranger(id, code: code, "undecodable message: \(error)")
            }
            return
        }
        let (header, message) = decoded
        if case let .join(join) = message { return admit(id, join: join, header: header, from: inbound) }
        guard var peer = peers[id] else {
            answerStranger(id, code: .unexpected, "\(message.kind) from a worker that has not joined this run; send join first")
            return
        }
        guard header.runID == run.runID else {
            strike(id, "\(message.kind) for run \(header.runID), not this run")
            return
        }
        peer.lastHeard = MonotonicClock.now()
        peers[id] = peer
        switch message {
        case let .ready(credit):
            peers[id]?.credit = min(peer.credit + credit, CoordinatorServer.maxCredit)
        case let .result(result):
            receive(result, from: peer, header: header)
        case .heartbeat:
            break
        case let .error(code, text):
            report("worker \(peer.name) reported error \(code): \(text); dropping it")
            drop(id, countAsLost: true)
        default:
            strike(id, "unexpected \(message.kind) from a worker")
        }
    }

    /// Credit a worker may hold at once (its `ready` messages beyond this are ignored).
    static let maxCredit = 64

    private func admit(_ id: [UInt8], join: JoinPayload, header: WireHeader, from inbound: InboundMessage) {
        let now = MonotonicClock.now()
        if !peers.mayJoin(from: inbound.peerAddress, now: now) {
            // Joins are rate-limited per address, so a flood of new connections cannot make the
            // coordinator encode and queue welcomes (with the teacher) without bound.
            statistics.droppedMessages += 1
        } else if peers[id] != nil {
            // The teacher goes out once per connection: a second join is ignored.
            statistics.droppedMessages += 1
        } else if peers.isRefused(id: id, name: join.workerName) {
            statistics.droppedMessages += 1
        } else if join.protocolVersion != WireLimits.protocolVersion {
            answerStranger(id, code: .unsupportedVersion,
                           "protocol version \(join.protocolVersion), this coordinator speaks \(WireLimits.protocolVersion)")
        } else if header.runID != 0, header.runID != run.runID {
            answerStranger(id, code: .wrongRun, "worker belongs to run \(header.runID), which is not this coordinator's run")
        } else if !join.specHash.isEmpty, join.specHash != run.specHash {
            answerStranger(id, code: .specMismatch, "worker expects model specs with hash \(join.specHash.prefix(12))…, which this run does not use")
        } else if !peers.mayAnswerStranger(id, now: now) {
            // Joins are rate-limited per peer: one welcome or refusal per interval.
            statistics.droppedMessages += 1
        } else {
            var peer = peers.admit(id: id, name: join.workerName, address: inbound.peerAddress ?? "local", fingerprint: join.computeFingerprint,
                                   threads: join.threads, key: inbound.key, now: now)
            peer.sharesMemory = join.sharesMemory && sharedParameters != nil && SharedMemoryRegion.usableName(String(decoding: id, as: UTF8.self))
            peers[id] = peer
            statistics.joined += 1
            if send(peer.sharesMemory ? WireCodec.flagged(welcomeFrames, WireHeader.sharedMemoryFlag) : welcomeFrames, to: peer) {
                report("worker \(join.workerName) joined from \(inbound.sender) with \(peer.threads) thread\(peer.threads == 1 ? "" : "s") "
                    + "(\(peers.count) connected)")
            }
        }
    }

    /// Accepts `result` if it can be right, or rejects it (see ``ResultRejection``).
    private func receive(_ result: ShardResult, from peer: Peer, header: WireHeader) {
        var result = result
        let index = result.shardIndex
        guard let step = current, header.step == UInt64(step.step), header.parameterVersion == UInt64(step.version) else {
            if header.step <= UInt64(Int.max), peers.takeRevoked(ShardKey(step: Int(header.step), shard: index), from: peer.id) {
                return reject(.stale(ShardKey(step: Int(header.step), shard: index)), from: peer.id)
            }
            return reject(.wrongStep(step: header.step, version: header.parameterVersion, shard: index), from: peer.id)
        }
        let key = ShardKey(step: step.step, shard: index)
        guard let shard = step.shards[index] else { return reject(.notAssigned(key), from: peer.id) }
        guard shard.holds(peer.id) else {
            if shard.answered(peer.id) { return reject(.replay(key), from: peer.id) }
            if peers.takeRevoked(key, from: peer.id) { return reject(.stale(key), from: peer.id) }
            return reject(.notAssigned(key), from: peer.id)
        }
        if let problem = result.gradientEncoding != run.gradientEncoding
            ? "gradients in \(result.gradientEncoding.configName), the run sends \(run.gradientEncoding.configName) (train.wire_gradients)"
            : shape.check(&result, for: shard.task) {
            current!.release(index, from: peer.id)
            statistics.reassignedShards += 1
            return reject(.invalid(key, problem), from: peer.id)
        }
        if let sentAt = shard.holders.first(where: { $0.worker == peer.id })?.sentAt {
            let seconds = MonotonicClock.now() - sentAt
            deadline.observe(seconds)
            peers[peer.id]?.shardsDone += 1
            peers[peer.id]?.shardSeconds += seconds
        }
        if result.gradients.sharedOffset != nil { statistics.sharedMemoryResults += 1 }
        let outcome = current!.record(result, index: index, from: peer.id, fingerprint: peer.fingerprint, audit: options.audit)
        apply(outcome, shard: key)
    }

    /// The gradients region of worker `id`, which shares memory: `FOLDER/gradients-ID`,
    /// mapped at its first result that names it.
    private func gradientRegion(of id: [UInt8]) throws -> SharedMemoryRegion {
        if let region = peers[id]?.gradientRegion { return region }
        guard let folder = options.sharedMemoryFolder else { throw WireError.sharedMemory("this coordinator shares no memory") }
        let region = try SharedMemoryRegion(opening: SharedMemoryRegion.gradientsPath(folder: folder, worker: String(decoding: id, as: UTF8.self)))
        peers[id]?.gradientRegion = region
        return region
    }

    /// Counts and reports what recording or settling a shard did.
    func apply(_ outcome: StepDispatch.Outcome, shard key: ShardKey) {
        switch outcome {
        case .waiting:
            break
        case .mismatch:
            statistics.auditMismatches += 1
            report("audit: workers disagree on shard \(key.shard) of step \(key.step); both results rejected, asking a third worker")
        case let .settled(audited, liars, revoked):
            if audited { statistics.auditedShards += 1 }
            for id in revoked { peers.revoke(key, from: id) }
            for id in liars where peers[id] != nil {
                refusePeerForRun(id, reason: "its result for shard \(key.shard) of step \(key.step) disagrees with two other workers")
            }
        }
    }

    /// Counts and logs a rejected result; a strike may refuse the worker for the rest of the run.
    private func reject(_ rejection: ResultRejection, from id: [UInt8]) {
        if rejection.isStrike {
            statistics.rejectedResults += 1
            strike(id, "rejected \(rejection)")
        } else {
            statistics.staleResults += 1
        }
    }

    /// Counts one strike against worker `id`; at ``Options/maxStrikes`` it is refused for the run.
    func strike(_ id: [UInt8], _ why: String) {
        guard var peer = peers[id] else { return }
        peer.strikes += 1
        peers[id] = peer
        report("worker \(peer.name): \(why) (strike \(peer.strikes) of \(options.maxStrikes))")
        if peer.strikes >= options.maxStrikes {
            refusePeerForRun(id, reason: "\(peer.strikes) rejected messages")
        }
    }

    /// Refuses worker `id` for the rest of the run: tells it why, bans its CURVE key (the ZAP
    /// handler then refuses its reconnections), closes its connection, reassigns its shards, and
    /// refuses its routing id and name too (all an insecure transport can go by).
    func refusePeerForRun(_ id: [UInt8], reason: String) {
        guard let peer = peers[id] else { return }
        report("worker \(peer.name) refused for the rest of the run: \(reason)"
            + (peer.key.map { " (key \($0.fingerprint) banned)" } ?? ""))
        _ = try? router.send(encode(.error(code: WireErrorCode.refusedForRun.rawValue, message: "refused for the rest of the run: \(reason)")),
                             to: PeerID(id))
        if let key = peer.key { transport.ban(key) }
        statistics.refusedForRun += 1
        releaseShards(of: id)
        peers.refuseForRun(id)
        router.disconnect(PeerID(id))
    }

    /// Answers a peer that has not joined, at most once per ``PeerTable/strangerAnswerInterval``;
    /// the answer's header carries run id 0 and its text no run information.
    private func answerStranger(_ id: [UInt8], code: WireErrorCode, _ text: String) {
        guard peers.mayAnswerStranger(id, now: MonotonicClock.now()) else {
            statistics.droppedMessages += 1
            return
        }
        statistics.refused += 1
        report("refused a peer: \(text)")
        let frames = WireCodec.encode(.error(code: code.rawValue, message: text), runID: 0, step: 0, parameterVersion: 0)
        _ = try? router.send(frames, to: PeerID(id))
    }
}
