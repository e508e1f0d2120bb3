import Foundation

// Handing out shard copies and taking them back: credit-based dispatch to the least-loaded
// worker, per-shard deadlines, silent peers, heartbeats, and sends that never block.

extension CoordinatorServer {
    /// Hands pending shard copies of the current step to workers with credit (parameters
    /// first where a worker's copy is older), or with `ahead`, of the upcoming step to workers
    /// holding fewer of its copies than their threads (no parameters: they do not exist yet).
    /// Each copy goes to the least-loaded worker that has not held that shard this step (ties:
    /// earliest joined), lowest shard index first.
    func dispatchPending(ahead: Bool = false) {
        let which: ReferenceWritableKeyPath<CoordinatorServer, StepDispatch?> = ahead ? \.upcoming : \.current
        guard let step = self[keyPath: which], ahead || currentParameters != nil else { return }
        var outstanding = step.outstanding
        var progress = true
        while progress {
            progress = false
            for index in self[keyPath: which]?.pending ?? [] {
                guard let shard = self[keyPath: which]?.shards[index],
                      let peer = peers.leastLoaded(excluding: shard.excluded, outstanding: outstanding, hasRoom: {
                          ahead ? (outstanding[$0.id] ?? 0) < $0.threads : $0.credit > 0
                      }) else { continue }
                if !ahead, peer.version != step.version {
                    guard send(parametersFrames(currentParameters!, step: step, for: peer), to: peer) else { continue }
                    peers[peer.id]?.version = step.version
                }
                let task = TaskPayload(step: UInt64(step.step), parameterVersion: UInt64(step.version), epoch: step.epoch,
                                       shards: [shard.task])
                let started = MonotonicClock.now()
                let frames = encode(.task(task), step: step.step, version: step.version)
                cost.serializationSeconds += MonotonicClock.now() - started
                guard send(frames, to: peer) else { continue }
                if ahead { statistics.shardsSentAhead += 1 } else { peers[peer.id]?.credit -= 1 }
                self[keyPath: which]?.assign(index, to: peer.id, at: MonotonicClock.now())
                outstanding[peer.id, default: 0] += 1
                progress = true
            }
        }
    }

    /// Takes the upcoming step's tasks and hands them out ahead of their parameters.
    func announce(_ next: UpcomingStep) {
        upcoming = StepDispatch(step: next.step, epoch: next.epoch, version: next.parameterVersion, tasks: next.tasks(), audit: options.audit)
        dispatchPending(ahead: true)
    }

    /// The upcoming step's record, made the current one for step `step` at `version` with
    /// `tasks`: its copies take their credit now, and their deadlines start now (their
    /// parameters go out next). Nil when nothing went ahead, or when it was for another step
    /// (the caller broke ``ShardBackend``'s contract; those copies are then forgotten, and a
    /// worker holding one reports the parameters that skipped it).
    func promoteUpcoming(step: Int, version: Int, tasks: [ShardTask]) -> StepDispatch? {
        guard var promoted = upcoming else { return nil }
        upcoming = nil
        guard promoted.step == step, promoted.version == version, promoted.holds(tasks) else {
            report("tasks sent ahead for step \(promoted.step) were not used (step \(step) came instead)")
            return nil
        }
        promoted.restartClocks(at: MonotonicClock.now())
        for (worker, copies) in promoted.outstanding { peers[worker]?.credit -= copies }
        return promoted
    }

    /// Sends the current parameters to every worker holding a copy of the current step with an
    /// older version (copies that went out ahead).
    func sendParametersToHolders() {
        guard let step = current, let parameters = currentParameters else { return }
        for worker in step.outstanding.keys.sorted(by: { (peers[$0]?.order ?? 0) < (peers[$1]?.order ?? 0) }) {
            guard let peer = peers[worker], peer.version != step.version else { continue }
            if send(parametersFrames(parameters, step: step, for: peer), to: peer) { peers[worker]?.version = step.version }
        }
    }

    /// Audited shards whose second copy no connected worker could compute (every worker already
    /// holds or answered it) settle on one result; the skipped audit is counted and reported.
    /// A disagreement no connected worker can settle waits for one, and says so.
    func skipImpossibleAudits() {
        guard let step = current else { return }
        for index in step.pending {
            let shard = step.shards[index]!
            guard shard.agreementNeeded == 2, !peers.hasWorker(outside: shard.excluded) else { continue }
            if shard.mismatched {
                let now = MonotonicClock.now()
                if now - lastTiebreakReport >= options.waitingReportInterval {
                    report("audit: workers disagree on shard \(index) of step \(step.step); waiting for another worker to settle it")
                    lastTiebreakReport = now
                }
                continue
            }
            statistics.auditsSkipped += 1
            report("audit of shard \(index) of step \(step.step) skipped: no second worker connected")
            if let outcome = current!.skipAudit(index, audit: options.audit) { apply(outcome, shard: ShardKey(step: step.step, shard: index)) }
        }
    }

    /// Drops workers silent for longer than the worker timeout and reassigns their shards.
    func dropSilentPeers() {
        let now = MonotonicClock.now()
        for peer in peers.peers.values where now - peer.lastHeard > options.peerTimeout {
            report("worker \(peer.name) silent for \(String(format: "%.1f", now - peer.lastHeard)) s; reassigning its shards")
            if releaseShards(of: peer.id) > 0 { statistics.recoverySeconds.append(now - peer.lastHeard) }
            statistics.lost += 1
            peers.remove(peer.id)
        }
    }

    /// Takes shard copies held past the deadline from their workers (heartbeating or not) and
    /// hands them to others; the late answer, if it comes, is stale. A copy stays where it is
    /// when no other worker could take it.
    func reassignOverdueShards() {
        guard let step = current else { return }
        let seconds = deadline.seconds
        let now = MonotonicClock.now()
        for (index, worker) in step.overdue(sentBefore: now - seconds) where peers.hasWorker(outside: step.shards[index]!.excluded) {
            current!.release(index, from: worker)
            peers.revoke(ShardKey(step: step.step, shard: index), from: worker)
            statistics.reassignedShards += 1
            report("shard \(index) of step \(step.step) overdue on worker \(peers[worker]?.name ?? "?") "
                + "(deadline \(String(format: "%.1f", seconds)) s); reassigning it")
        }
    }

    /// Sends a heartbeat to every worker that has had nothing for a heartbeat interval.
    func heartbeatIdlePeers() {
        let now = MonotonicClock.now()
        for peer in peers.peers.values where now - peer.lastSent >= options.heartbeatInterval {
            _ = send(encode(.heartbeat), to: peer)
        }
    }

    /// Sends `frames` to `peer` without blocking. A full queue means the peer stopped reading:
    /// it is dropped and its shards reassigned, as when its connection is gone.
    /// - Returns: whether the message was queued.
    func send(_ frames: [Frame], to peer: Peer) -> Bool {
        let outcome: SendOutcome
        do { outcome = try router.send(frames, to: PeerID(peer.id)) } catch {
            report("worker \(peer.name) unreachable (\(error)); dropping it")
            drop(peer.id, countAsLost: true)
            return false
        }
        switch outcome {
        case .queued:
            break
        case .wouldBlock:
            report("worker \(peer.name) stopped reading (its send queue is full); disconnecting it")
            drop(peer.id, countAsLost: true)
            // Closing the connection frees what is queued for it.
            router.disconnect(PeerID(peer.id))
            return false
        case .unreachable:
            report("worker \(peer.name) unreachable (its connection is gone); dropping it")
            drop(peer.id, countAsLost: true)
            return false
        }
        cost.bytesSent += frames.reduce(peer.id.count) { $0 + $1.count }
        peers[peer.id]?.lastSent = MonotonicClock.now()
        return true
    }

    /// Forgets worker `id` (it may join again) and reassigns its shards.
    func drop(_ id: [UInt8], countAsLost: Bool) {
        guard peers[id] != nil else { return }
        if countAsLost { statistics.lost += 1 }
        releaseShards(of: id)
        peers.remove(id)
        router.forget(PeerID(id))
    }

    /// Puts the copies worker `id` holds back to pending and drops its unsettled results.
    @discardableResult
    func releaseShards(of id: [UInt8]) -> Int {
        _ = upcoming?.forget(id)
        guard current != nil else { return 0 }
        let released = current!.forget(id)
        statistics.reassignedShards += released
        return released
    }

    /// The parameters of `step`'s version for `peer`, encoded once however many workers need
    /// them: named in shared memory for a worker that shares it, else carried. The values are
    /// written into the region unless they already lie there (the trainer's master lives in it:
    /// ``Options/sharedParameters``). Each version overwrites the last in place: that happens
    /// only once every result at the last version is in, when a worker still reading it
    /// computes only stale results (docs/PROTOCOL.md, "Shared memory").
    private func parametersFrames(_ parameters: ModelParameters, step: StepDispatch, for peer: Peer) -> [Frame] {
        if peer.sharesMemory, let region = sharedParameters {
            if sharedParametersFrames?.version != step.version {
                let started = MonotonicClock.now()
                let count = parameters.layout.parameterCount
                let shared = region.mutableFloats(offset: 0, count: count)
                if shared.baseAddress != parameters.values.baseAddress { _ = shared.update(fromContentsOf: parameters.values[0..<count]) }
                let payload = ParametersPayload(
                    version: UInt64(step.version), parameters: region.floats(inPlaceAt: 0, count: count),
                    state: FloatValues(Array(parameters.state[0..<parameters.layout.stateCount])))
                sharedParametersFrames = (step.version, WireCodec.encode(.parameters(payload), runID: run.runID, step: UInt64(step.step),
                                                                        parameterVersion: UInt64(step.version)))
                cost.serializationSeconds += MonotonicClock.now() - started
            }
            return sharedParametersFrames!.frames
        }
        if encodedParameters?.version != step.version {
            let started = MonotonicClock.now()
            let frames = WireCodec.encodeParameters(
                version: UInt64(step.version),
                parameters: UnsafeBufferPointer(rebasing: parameters.values[0..<parameters.layout.parameterCount]),
                state: UnsafeBufferPointer(rebasing: parameters.state[0..<parameters.layout.stateCount]),
                runID: run.runID, step: UInt64(step.step))
            encodedParameters = (step.version, frames)
            cost.serializationSeconds += MonotonicClock.now() - started
        }
        return encodedParameters!.frames
    }
}
