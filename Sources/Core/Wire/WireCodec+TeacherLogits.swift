// The teacher-logits section of tasks and results (header flag bit 0, docs/PROTOCOL.md
// "Teacher logits"): present only when a run caches the teacher, so other messages are unchanged.

extension WireMessage {
    /// Whether the message needs the teacher-logits section: a task with a shard that carries or
    /// asks for logits, or a result that carries them.
    var carriesTeacherLogits: Bool {
        switch self {
        case .task(let p): return p.shards.contains { !$0.teacherLogits.isEmpty || $0.returnsTeacherLogits }
        case .result(let r): return !r.teacherLogits.isEmpty
        default: return false
        }
    }

    /// Whether the message sets ``WireHeader/sharedMemoryFlag``: a join from a worker that shares
    /// the run's folder, or a result or parameters message whose values lie in shared memory.
    var namesSharedMemory: Bool {
        switch self {
        case .join(let p): return p.sharesMemory
        case .result(let r): return r.gradients.sharedOffset != nil
        case .parameters(let p): return p.parameters.sharedOffset != nil
        default: return false
        }
    }

    /// The header flags the message needs.
    var headerFlags: UInt8 {
        (carriesTeacherLogits ? WireHeader.teacherLogitsFlag : 0) | (namesSharedMemory ? WireHeader.sharedMemoryFlag : 0)
    }
}

extension WireCodec {
    /// A shard's section fields: `u8` returnsTeacherLogits (0 or 1), `u32` teacherLogitsCount.
    static func encodeTeacherLogitsFields(of shard: ShardTask, _ w: inout WireWriter) {
        w.integer(UInt8(shard.returnsTeacherLogits ? 1 : 0))
        w.int(shard.teacherLogits.count, "task.shard.teacherLogits.count")
    }

    /// Reads what ``encodeTeacherLogitsFields(of:_:)`` wrote for shard `s`.
    /// - Throws: ``WireError/invalidDocument(field:detail:)`` for a flag other than 0 or 1, or a reader error.
    static func decodeTeacherLogitsFields(_ r: inout WireReader, _ s: Int) throws -> (returns: Bool, count: Int) {
        let flag: UInt8 = try r.integer("shards[\(s)].returnsTeacherLogits")
        guard flag <= 1 else { throw WireError.invalidDocument(field: "task.shards[\(s)].returnsTeacherLogits", detail: "is \(flag), expected 0 or 1") }
        return (flag == 1, try r.int("shards[\(s)].teacherLogits.count"))
    }
}
