/// The coordinator's record of one step: each shard's task, which workers hold a copy of it,
/// which results came back, and the value it settled on. A shard settles when enough results
/// from different workers agree: one result, or two for an audited shard. After a
/// disagreement it takes one more copy at a time until two results agree.
struct StepDispatch {
    /// A worker computing a copy of a shard.
    struct Holder {
        let worker: [UInt8]
        let sentAt: Double
    }

    /// A result that passed the content checks, waiting for agreement.
    struct Candidate {
        let worker: [UInt8]
        let fingerprint: String
        let result: ShardResult
    }

    /// One shard of the step.
    struct Shard {
        let task: ShardTask
        /// Results from different workers that must agree: 1, or 2 when audited.
        var agreementNeeded: Int
        var holders: [Holder] = []
        var candidates: [Candidate] = []
        /// Workers that hold, held or answered this shard: no further copy goes to them.
        var excluded: Set<[UInt8]> = []
        var settled: ShardResult?
        /// Two results disagreed: one more copy at a time until a pair agrees.
        var mismatched = false

        /// Copies in flight or answered that the shard needs now.
        var copiesWanted: Int { mismatched ? candidates.count + 1 : agreementNeeded }
        /// Whether the shard should go to one more worker.
        var needsCopy: Bool { settled == nil && holders.count + candidates.count < copiesWanted }
        func holds(_ worker: [UInt8]) -> Bool { holders.contains { $0.worker == worker } }
        func answered(_ worker: [UInt8]) -> Bool { candidates.contains { $0.worker == worker } }
    }

    /// What recording a result did to its shard.
    enum Outcome: Equatable {
        /// The shard waits for more copies.
        case waiting
        /// The first disagreement between two workers on this shard.
        case mismatch
        /// The shard settled; `liars` disagreed with the settled value, `revoked` still held a copy.
        case settled(audited: Bool, liars: [[UInt8]], revoked: [[UInt8]])
    }

    let step: Int
    let epoch: Int
    let version: Int
    private(set) var shards: [Int: Shard] = [:]
    /// Shard indices in the order the trainer passed the tasks.
    private let taskOrder: [Int]
    /// Shard indices, lowest first (dispatch order).
    let indices: [Int]

    /// The record of step `step` for `tasks`; `audit` picks the shards that need two agreeing results.
    init(step: Int, epoch: Int, version: Int, tasks: [ShardTask], audit: AuditPolicy) {
        self.step = step
        self.epoch = epoch
        self.version = version
        for task in tasks {
            shards[task.shardIndex] = Shard(task: task, agreementNeeded: audit.selects(step: step, shard: task.shardIndex) ? 2 : 1)
        }
        taskOrder = tasks.map(\.shardIndex)
        indices = taskOrder.sorted()
    }

    /// Whether every shard has settled.
    var isComplete: Bool { shards.values.allSatisfy { $0.settled != nil } }

    /// The settled results, in task order (only once ``isComplete``).
    var results: [ShardResult] { taskOrder.map { shards[$0]!.settled! } }

    /// Shards that should go to one more worker, lowest index first.
    var pending: [Int] { indices.filter { shards[$0]!.needsCopy } }

    /// Copies each worker is computing.
    var outstanding: [[UInt8]: Int] {
        var count: [[UInt8]: Int] = [:]
        for shard in shards.values { for holder in shard.holders { count[holder.worker, default: 0] += 1 } }
        return count
    }

    /// Records that shard `index` was sent to `worker` at `now`.
    mutating func assign(_ index: Int, to worker: [UInt8], at now: Double) {
        shards[index]!.holders.append(Holder(worker: worker, sentAt: now))
        shards[index]!.excluded.insert(worker)
    }

    /// Takes shard `index` from `worker` (invalid answer, deadline passed); it never gets it back this step.
    /// - Returns: when the worker was sent the copy, or nil if it held none.
    @discardableResult
    mutating func release(_ index: Int, from worker: [UInt8]) -> Double? {
        guard let i = shards[index]?.holders.firstIndex(where: { $0.worker == worker }) else { return nil }
        return shards[index]!.holders.remove(at: i).sentAt
    }

    /// Removes `worker` from the step (lost or refused): its copies go back to pending and its
    /// unsettled results are dropped. Returns how many copies it held.
    mutating func forget(_ worker: [UInt8]) -> Int {
        var released = 0
        for index in indices {
            released += shards[index]!.holders.count
            shards[index]!.holders.removeAll { $0.worker == worker }
            released -= shards[index]!.holders.count
            if shards[index]!.settled == nil { shards[index]!.candidates.removeAll { $0.worker == worker } }
        }
        return released
    }

    /// Records a result from a holder of shard `index` whose content passed the checks.
    mutating func record(_ result: ShardResult, index: Int, from worker: [UInt8], fingerprint: String, audit: AuditPolicy) -> Outcome {
        release(index, from: worker)
        var shard = shards[index]!
        defer { shards[index] = shard }
        let candidate = Candidate(worker: worker, fingerprint: fingerprint, result: result)
        shard.candidates.append(candidate)
        if shard.agreementNeeded == 1 && !shard.mismatched { return settle(&shard, with: candidate, audit: audit) }
        if let partner = shard.candidates.dropLast().first(where: {
            audit.agree($0.result, fingerprint: $0.fingerprint, result, fingerprint: fingerprint)
        }) {
            return settle(&shard, with: partner, audit: audit)
        }
        guard shard.candidates.count >= 2, !shard.mismatched else { return .waiting }
        shard.mismatched = true
        return .mismatch
    }

    /// Gives up the second copy of audited shard `index` (no other worker to compute it): it
    /// settles on one result. Returns the outcome if that settled it.
    mutating func skipAudit(_ index: Int, audit: AuditPolicy) -> Outcome? {
        var shard = shards[index]!
        defer { shards[index] = shard }
        shard.agreementNeeded = 1
        guard let first = shard.candidates.first, !shard.mismatched else { return nil }
        return settle(&shard, with: first, audit: audit)
    }

    /// Whether this is the record of exactly `tasks`, in that order.
    func holds(_ tasks: [ShardTask]) -> Bool {
        taskOrder.count == tasks.count && zip(taskOrder, tasks).allSatisfy { shards[$0]?.task == $1 }
    }

    /// Counts every copy held now as sent at `now` (copies sent ahead of their parameters,
    /// whose parameters go out now).
    mutating func restartClocks(at now: Double) {
        for index in indices {
            shards[index]!.holders = shards[index]!.holders.map { Holder(worker: $0.worker, sentAt: now) }
        }
    }

    /// Copies sent before `cutoff`, as (shard index, worker).
    func overdue(sentBefore cutoff: Double) -> [(index: Int, worker: [UInt8])] {
        indices.flatMap { index in shards[index]!.holders.filter { $0.sentAt < cutoff }.map { (index, $0.worker) } }
    }

    private func settle(_ shard: inout Shard, with chosen: Candidate, audit: AuditPolicy) -> Outcome {
        shard.settled = chosen.result
        // The chosen result is not compared with itself (a whole gradient's worth of work).
        let liars = shard.candidates.filter {
            $0.worker != chosen.worker && !audit.agree(chosen.result, fingerprint: chosen.fingerprint, $0.result, fingerprint: $0.fingerprint)
        }.map(\.worker)
        let revoked = shard.holders.map(\.worker)
        shard.holders.removeAll()
        return .settled(audited: shard.candidates.count >= 2, liars: liars, revoked: revoked)
    }
}
