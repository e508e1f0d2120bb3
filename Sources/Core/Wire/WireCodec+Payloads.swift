// The payload layout of every message kind: each encoder next to its decoder, in the order
// docs/PROTOCOL.md lists them. Field types: Int fields are u32, UInt64 fields u64, Double
// fields f64, strings u32 length + UTF-8, arrays raw frames after the fields frame; under
// the shared-memory flag, a result's gradients frame and a parameters message's parameters
// frame hold one u64, the values' byte offset in shared memory.

extension WireCodec {
    /// The payload frames of `message`: its fields frame, then its bulk frames.
    static func encodePayload(_ message: WireMessage) -> [Frame] {
        var w = WireWriter()
        switch message {
        case .join(let p):
            w.string(p.workerName, maxBytes: WireLimits.maxNameBytes, "join.workerName")
            w.integer(p.protocolVersion)
            w.int(p.threads, "join.threads")
            w.string(p.specHash, maxBytes: WireLimits.maxNameBytes, "join.specHash")
            w.string(p.computeFingerprint, maxBytes: WireLimits.maxNameBytes, "join.computeFingerprint")
        case .welcome(let p):
            w.string(p.run.json(), maxBytes: WireLimits.maxDocumentBytes, "welcome.runDescriptionJSON")
            w.shape(p.teacherParameters.shape, "welcome.teacherParameters.shape")
            w.shape(p.teacherState.shape, "welcome.teacherState.shape")
            w.bulk(p.teacherParameters.values)
            w.bulk(p.teacherState.values)
        case .ready(let credit):
            w.int(credit, "ready.credit")
        case .task(let p):
            let withLogits = message.carriesTeacherLogits
            w.integer(p.step)
            w.integer(p.parameterVersion)
            w.int(p.epoch, "task.epoch")
            w.int(p.shards.count, "task.shards.count")
            for shard in p.shards {
                w.int(shard.shardIndex, "task.shard.shardIndex")
                w.int(shard.sampleOffset, "task.shard.sampleOffset")
                w.int(shard.count, "task.shard.count")
                w.int(shard.height, "task.shard.height")
                w.int(shard.width, "task.shard.width")
                w.int(shard.channels, "task.shard.channels")
                if withLogits { encodeTeacherLogitsFields(of: shard, &w) }
                w.bulk(shard.images)
                w.bulk(shard.labels)
                if withLogits { w.bulk(shard.teacherLogits) }
            }
        case .result(let p):
            w.int(p.shardIndex, "result.shardIndex")
            w.int(p.loss.count, "result.count")
            w.double(p.loss.total)
            w.double(p.loss.hard)
            w.double(p.loss.soft)
            w.int(p.loss.correct, "result.correct")
            w.double(p.computeSeconds)
            w.int(p.batchStatistics.count, "result.batchStatistics.count")
            w.int(p.gradients.count, "result.gradients.count")
            w.integer(p.gradientEncoding.rawValue)
            if message.carriesTeacherLogits { w.int(p.teacherLogits.count, "result.teacherLogits.count") }
            w.bulk(p.batchStatistics)
            if let offset = p.gradients.sharedOffset {
                w.bulk([UInt64(offset)])
            } else {
                switch p.gradientEncoding {
                case .float32: w.bulk(frame: p.gradients.frame)
                case .bfloat16: w.bulk(p.gradients.withUnsafeBufferPointer { $0.map(BFloat16.bits) })
                }
            }
            if message.carriesTeacherLogits { w.bulk(p.teacherLogits) }
        case .parameters(let p):
            if let offset = p.parameters.sharedOffset {
                w.integer(p.version)
                w.int(p.parameters.count, "parameters.parameters.count")
                w.int(p.state.count, "parameters.state.count")
                w.bulk([UInt64(offset)])
                w.bulk(frame: p.state.frame)
                break
            }
            p.parameters.withUnsafeBufferPointer { parameters in
                p.state.withUnsafeBufferPointer { writeParameters(&w, version: p.version, parameters: parameters, state: $0) }
            }
        case .heartbeat:
            break
        case .shutdown(let reason):
            w.string(reason, maxBytes: WireLimits.maxReasonBytes, "shutdown.reason")
        case .error(let code, let message):
            w.integer(code)
            w.string(message, maxBytes: WireLimits.maxReasonBytes, "error.message")
        }
        return w.frames
    }

    /// The message of `header.kind` in `frames` (fields frame first).
    /// - Throws: ``WireError`` for a short or over-long field, a bulk frame of the wrong size,
    ///   a value over ``WireLimits``, invalid UTF-8 or a payload field contradicting the header.
    static func decodePayload(_ frames: ArraySlice<Frame>, header: WireHeader,
                              sharedMemory: (() throws -> SharedMemoryRegion)? = nil) throws -> WireMessage {
        var r = try WireReader(frames: frames, context: "\(header.kind)")
        let shared = header.flags & WireHeader.sharedMemoryFlag != 0
        let message: WireMessage
        switch header.kind {
        case .join:
            message = .join(JoinPayload(
                workerName: try r.string("workerName", maxBytes: WireLimits.maxNameBytes),
                protocolVersion: try r.integer("protocolVersion"),
                threads: try r.int("threads"),
                specHash: try r.string("specHash", maxBytes: WireLimits.maxNameBytes),
                computeFingerprint: try r.string("computeFingerprint", maxBytes: WireLimits.maxNameBytes),
                sharesMemory: shared))
        case .welcome:
            let run = try RunDescription(json: try r.string("runDescriptionJSON", maxBytes: WireLimits.maxDocumentBytes))
            try agree("welcome.runDescription.runID", header.runID, run.runID)
            let parameterShape = try r.shape("teacherParameters.shape")
            let stateShape = try r.shape("teacherState.shape")
            let parameters = FloatArray(shape: parameterShape.dims,
                                        values: try r.bulk("teacherParameters", count: parameterShape.count))
            let state = FloatArray(shape: stateShape.dims, values: try r.bulk("teacherState", count: stateShape.count))
            message = .welcome(WelcomePayload(run: run, teacherParameters: parameters, teacherState: state))
        case .ready:
            message = .ready(credit: try r.int("credit"))
        case .task:
            let step: UInt64 = try r.integer("step")
            let version: UInt64 = try r.integer("parameterVersion")
            try agree("task.step", header.step, step)
            try agree("task.parameterVersion", header.parameterVersion, version)
            let epoch = try r.int("epoch")
            let shardCount = try r.count("shards.count", max: WireLimits.maxShards)
            var shards: [ShardTask] = []
            let withLogits = header.flags & WireHeader.teacherLogitsFlag != 0
            for s in 0..<shardCount { shards.append(try decodeShard(&r, s, withTeacherLogits: withLogits)) }
            message = .task(TaskPayload(step: step, parameterVersion: version, epoch: epoch, shards: shards))
        case .result:
            let shardIndex = try r.int("shardIndex")
            let count = try r.int("count")
            let lossTotal = try r.double("lossTotal")
            let lossHard = try r.double("lossHard")
            let lossSoft = try r.double("lossSoft")
            let correct = try r.int("correct")
            let seconds = try r.double("computeSeconds")
            let statisticsCount = try r.int("batchStatistics.count")
            let gradientCount = try r.int("gradients.count")
            let encodingCode: UInt8 = try r.integer("gradientEncoding")
            guard let encoding = GradientEncoding(rawValue: encodingCode) else {
                throw WireError.unknownEncoding(field: "result.gradientEncoding", code: encodingCode)
            }
            let withLogits = header.flags & WireHeader.teacherLogitsFlag != 0
            var logitCount = 0
            if withLogits { logitCount = try r.int("teacherLogits.count") }
            let statistics: [Float] = try r.bulk("batchStatistics", count: statisticsCount)
            let gradients: FloatValues
            switch encoding {
            case _ where shared: gradients = try r.sharedFloats("gradients", count: gradientCount, in: sharedMemory)
            case .float32: gradients = try r.floats("gradients", count: gradientCount)
            case .bfloat16: gradients = FloatValues(try r.bulk("gradients", count: gradientCount, as: UInt16.self).map(BFloat16.float))
            }
            message = .result(ShardResult(
                shardIndex: shardIndex,
                loss: LossSums(total: lossTotal, hard: lossHard, soft: lossSoft, correct: correct, count: count),
                batchStatistics: statistics, gradients: gradients, computeSeconds: seconds, gradientEncoding: encoding,
                teacherLogits: try withLogits ? r.bulk("teacherLogits", count: logitCount) : []))
        case .parameters:
            let version: UInt64 = try r.integer("version")
            try agree("parameters.version", header.parameterVersion, version)
            let parameterCount = try r.int("parameters.count")
            let stateCount = try r.int("state.count")
            message = .parameters(ParametersPayload(version: version,
                                                    parameters: try shared
                                                        ? r.sharedFloats("parameters", count: parameterCount, in: sharedMemory)
                                                        : r.floats("parameters", count: parameterCount),
                                                    state: try r.floats("state", count: stateCount)))
        case .heartbeat:
            message = .heartbeat
        case .shutdown:
            message = .shutdown(reason: try r.string("reason", maxBytes: WireLimits.maxReasonBytes))
        case .error:
            let code: UInt16 = try r.integer("code")
            message = .error(code: code, message: try r.string("message", maxBytes: WireLimits.maxReasonBytes))
        }
        try r.finish()
        return message
    }

    /// Shard `s` of a task: six u32 fields, then its images and labels frames.
    private static func decodeShard(_ r: inout WireReader, _ s: Int, withTeacherLogits: Bool) throws -> ShardTask {
        let index = try r.int("shards[\(s)].shardIndex")
        let offset = try r.int("shards[\(s)].sampleOffset")
        let count = try r.int("shards[\(s)].count")
        let height = try r.int("shards[\(s)].height")
        let width = try r.int("shards[\(s)].width")
        let channels = try r.int("shards[\(s)].channels")
        var logits: (returns: Bool, count: Int)?
        if withTeacherLogits { logits = try decodeTeacherLogitsFields(&r, s) }
        // Each factor is below 2^32, so the products are checked rather than trusted.
        let (pixels, o1) = count.multipliedReportingOverflow(by: height)
        let (rows, o2) = pixels.multipliedReportingOverflow(by: width)
        let (bytes, o3) = rows.multipliedReportingOverflow(by: channels)
        guard !(o1 || o2 || o3), UInt64(bytes) <= WireLimits.maxPayloadBytes else {
            throw WireError.tooLarge(what: "task.shards[\(s)].images [\(count), \(height), \(width), \(channels)]",
                                     size: o1 || o2 || o3 ? .max : UInt64(bytes), limit: WireLimits.maxPayloadBytes)
        }
        let images: [UInt8] = try r.bulk("shards[\(s)].images", count: bytes)
        let labels: [Int32] = try r.bulk("shards[\(s)].labels", count: count)
        var shard = ShardTask(shardIndex: index, sampleOffset: offset, count: count, height: height, width: width,
                              channels: channels, images: images, labels: labels)
        if let logits {
            shard.returnsTeacherLogits = logits.returns
            shard.teacherLogits = try r.bulk("shards[\(s)].teacherLogits", count: logits.count)
        }
        return shard
    }

    /// Throws ``WireError/headerMismatch(field:header:payload:)`` unless the values agree.
    private static func agree(_ field: String, _ header: UInt64, _ payload: UInt64) throws {
        guard header == payload else { throw WireError.headerMismatch(field: field, header: header, payload: payload) }
    }
}
