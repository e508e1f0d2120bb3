/// Turns ``WireMessage``s into ZeroMQ frames and back: a ``WireHeader`` frame, then the
/// payload frames (a fields frame, then one raw frame per bulk array). Byte layouts are in
/// docs/PROTOCOL.md. Frames exclude a router's routing-id frame: strip it before decoding.
public enum WireCodec {
    /// The frames of `message`, header first.
    ///
    /// Traps if the payload exceeds ``WireLimits/maxPayloadBytes`` or a value does not fit its
    /// wire field (a negative count, an over-long string): those are errors of this process.
    public static func encode(_ message: WireMessage, runID: UInt64, step: UInt64, parameterVersion: UInt64) -> [Frame] {
        sealed(encodePayload(message), kind: message.kind, flags: message.headerFlags,
               runID: runID, step: step, parameterVersion: parameterVersion)
    }

    /// The frames of a ``WireMessage/parameters(_:)`` message read straight from the model's
    /// buffers: the bytes `encode(.parameters(…))` gives, without first copying every parameter
    /// into a payload's arrays (the coordinator sends this once per step).
    public static func encodeParameters(version: UInt64, parameters: UnsafeBufferPointer<Float>, state: UnsafeBufferPointer<Float>,
                                        runID: UInt64, step: UInt64) -> [Frame] {
        var w = WireWriter()
        writeParameters(&w, version: version, parameters: parameters, state: state)
        return sealed(w.frames, kind: .parameters, runID: runID, step: step, parameterVersion: version)
    }

    /// The payload of a parameters message.
    static func writeParameters(_ w: inout WireWriter, version: UInt64, parameters: UnsafeBufferPointer<Float>,
                                state: UnsafeBufferPointer<Float>) {
        w.integer(version)
        w.int(parameters.count, "parameters.parameters.count")
        w.int(state.count, "parameters.state.count")
        w.bulk(parameters)
        w.bulk(state)
    }

    /// `payload` behind a header of `kind` that states its frame count, length and checksum.
    static func sealed(_ payload: [Frame], kind: WireKind, flags: UInt8 = 0, runID: UInt64, step: UInt64,
                       parameterVersion: UInt64) -> [Frame] {
        var crc = CRC32C()
        var length: UInt64 = 0
        for frame in payload {
            frame.withUnsafeBytes { crc.update($0) }
            length += UInt64(frame.count)
        }
        precondition(length <= WireLimits.maxPayloadBytes, "\(kind) payload of \(length) bytes exceeds \(WireLimits.maxPayloadBytes)")
        let header = WireHeader(kind: kind, flags: flags, runID: runID, step: step, parameterVersion: parameterVersion,
                                payloadLength: length, payloadFrameCount: UInt32(payload.count), payloadChecksum: crc.value)
        return [Frame(header.encoded())] + payload
    }

    /// `frames` (a sealed message) with `flag` added to its header: the payload frames are
    /// shared, not copied, and its checksum still holds.
    static func flagged(_ frames: [Frame], _ flag: UInt8) -> [Frame] {
        guard let header = try? WireHeader(decoding: frames[0].bytes) else { return frames }
        let marked = WireHeader(kind: header.kind, flags: header.flags | flag, runID: header.runID, step: header.step,
                                parameterVersion: header.parameterVersion, payloadLength: header.payloadLength,
                                payloadFrameCount: header.payloadFrameCount, payloadChecksum: header.payloadChecksum)
        return [Frame(marked.encoded())] + frames.dropFirst()
    }

    /// Parses and verifies `frames` (header first): header checks, payload frame count,
    /// payload length and limit, payload checksum, then the payload of the header's kind,
    /// including that its repeated header fields agree with the header. Payload frames of
    /// ``Frame/measuredFloatBytes`` or more get their ``Frame/checkedFloatMagnitude`` in the
    /// checksum's pass.
    ///
    /// A result or parameters message with ``WireHeader/sharedMemoryFlag`` names its gradients or
    /// parameters in the region `sharedMemory` returns (called only then): the sender's gradients
    /// region, or the run's parameters region. Without it, such a message is an error.
    /// - Throws: ``WireError`` naming the first check that failed; never traps on any input.
    public static func decode(_ frames: [Frame], sharedMemory: (() throws -> SharedMemoryRegion)? = nil)
        throws -> (header: WireHeader, message: WireMessage) {
        guard let first = frames.first else {
            throw WireError.truncated(what: "message frames", needed: 1, available: 0)
        }
        let header = try WireHeader(decoding: first.bytes)
        var payload = frames.dropFirst()
        guard UInt64(payload.count) == UInt64(header.payloadFrameCount) else {
            throw WireError.lengthMismatch(what: "\(header.kind) payload frame count",
                                           declared: UInt64(header.payloadFrameCount), actual: UInt64(payload.count))
        }
        let length = payload.reduce(UInt64(0)) { $0 + UInt64($1.count) }
        guard length == header.payloadLength else {
            throw WireError.lengthMismatch(what: "\(header.kind) payload bytes", declared: header.payloadLength, actual: length)
        }
        guard length <= WireLimits.maxPayloadBytes else {
            throw WireError.tooLarge(what: "\(header.kind) payload bytes", size: length, limit: WireLimits.maxPayloadBytes)
        }
        var crc = CRC32C()
        for i in payload.indices {
            // Large frames (bulk floats: gradients, parameters) are measured as they are checksummed,
            // so their values need no second pass to be checked.
            if payload[i].count >= Frame.measuredFloatBytes {
                payload[i].checkedFloatMagnitude = payload[i].withUnsafeBytes { crc.updateMeasuringFloats($0) }
            } else {
                payload[i].withUnsafeBytes { crc.update($0) }
            }
        }
        guard crc.value == header.payloadChecksum else {
            throw WireError.checksumMismatch(what: "\(header.kind) payload", declared: header.payloadChecksum, computed: crc.value)
        }
        return (header, try decodePayload(payload, header: header, sharedMemory: sharedMemory))
    }
}
