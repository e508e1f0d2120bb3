@testable import Core

/// One message of every kind with the header values it is sent with, small enough that tests
/// can try every truncation and every bit flip, and using edge values (zero, max, empty, Unicode).
struct WireSample {
    let name: String
    let message: WireMessage
    let runID: UInt64
    let step: UInt64
    let parameterVersion: UInt64

    /// The encoded frames' bytes, as arrays a test can damage.
    var frames: [[UInt8]] { WireCodec.encode(message, runID: runID, step: step, parameterVersion: parameterVersion).byteArrays }

    static let all: [WireSample] = [
        WireSample(name: "join", message: .join(JoinPayload(workerName: "worker-α-1", threads: 2, specHash: "9f86d081",
                                                             computeFingerprint: "AMD EPYC 7B13 / Zen")),
                   runID: 0, step: 0, parameterVersion: 0),
        WireSample(name: "join (empty strings)", message: .join(JoinPayload(workerName: "", protocolVersion: .max,
                                                                             threads: 0, specHash: "")),
                   runID: 0, step: 0, parameterVersion: 0),
        WireSample(name: "welcome", message: .welcome(WelcomePayload(
            run: sampleRun(runID: 0xDEAD_BEEF_0000_0001, teacher: ModelSpec(name: "t", layers: [.flatten, .dense(units: nil, bias: false)])),
            teacherParameters: FloatArray(shape: [2, 3], values: [1, -2, 3.5, 0, -0, 6]),
            teacherState: FloatArray(shape: [2], values: [0.25, 1e-8]))),
                   runID: 0xDEAD_BEEF_0000_0001, step: 0, parameterVersion: 0),
        WireSample(name: "welcome (no teacher)", message: .welcome(WelcomePayload(run: sampleRun(runID: 1, teacher: nil))),
                   runID: 1, step: 0, parameterVersion: 0),
        WireSample(name: "ready", message: .ready(credit: 3), runID: 7, step: 0, parameterVersion: 0),
        WireSample(name: "ready (max credit)", message: .ready(credit: Int(UInt32.max)), runID: 7, step: 0, parameterVersion: 0),
        WireSample(name: "task", message: .task(TaskPayload(step: 12, parameterVersion: 11, epoch: 2, shards: [
            ShardTask(shardIndex: 0, sampleOffset: 128, count: 2, height: 2, width: 2, channels: 3,
                      images: (0..<24).map { UInt8($0 * 10) }, labels: [3, 9]),
            ShardTask(shardIndex: 5, sampleOffset: 130, count: 1, height: 1, width: 2, channels: 1,
                      images: [255, 0], labels: [Int32.max]),
        ])), runID: 7, step: 12, parameterVersion: 11),
        WireSample(name: "task (no shards)", message: .task(TaskPayload(step: .max, parameterVersion: .max, epoch: 0, shards: [])),
                   runID: .max, step: .max, parameterVersion: .max),
        WireSample(name: "result", message: .result(ShardResult(
            shardIndex: 5, loss: LossSums(total: 1.25, hard: 0.75, soft: 0.5, correct: 1, count: 2),
            batchStatistics: [0.5, -1, 2], gradients: [1e-3, -2e-3, 3, .infinity], computeSeconds: 0.015)),
                   runID: 7, step: 12, parameterVersion: 11),
        WireSample(name: "task (teacher logits)", message: .task(TaskPayload(step: 12, parameterVersion: 11, epoch: 2, shards: [
            ShardTask(shardIndex: 0, sampleOffset: 0, count: 1, height: 1, width: 2, channels: 1,
                      images: [7, 8], labels: [1]).withTeacherLogits([-1.5, 2, .greatestFiniteMagnitude]),
            ShardTask(shardIndex: 1, sampleOffset: 1, count: 1, height: 1, width: 2, channels: 1,
                      images: [9, 10], labels: [0]).askingForTeacherLogits(),
        ])), runID: 7, step: 12, parameterVersion: 11),
        WireSample(name: "result (teacher logits)", message: .result(ShardResult(
            shardIndex: 1, loss: LossSums(total: 1.25, hard: 0.75, soft: 0.5, correct: 1, count: 1),
            batchStatistics: [], gradients: [1e-3, -2e-3], computeSeconds: 0.015, teacherLogits: [0.5, -0.25, 3])),
                   runID: 7, step: 12, parameterVersion: 11),
        WireSample(name: "parameters", message: .parameters(ParametersPayload(
            version: 12, parameters: [1, 2, 3, -4.5], state: [0.1])), runID: 7, step: 12, parameterVersion: 12),
        WireSample(name: "parameters (empty)", message: .parameters(ParametersPayload(version: 0, parameters: [], state: [])),
                   runID: 7, step: 0, parameterVersion: 0),
        WireSample(name: "heartbeat", message: .heartbeat, runID: 7, step: 3, parameterVersion: 2),
        WireSample(name: "shutdown", message: .shutdown(reason: "training finished ✓"), runID: 7, step: 100, parameterVersion: 100),
        WireSample(name: "error", message: .error(code: WireErrorCode.wrongRun.rawValue, message: "run 8 is not run 7"),
                   runID: 7, step: 0, parameterVersion: 0),
        WireSample(name: "result (bf16 gradients)", message: .result(ShardResult(
            shardIndex: 1, loss: LossSums(total: 2, hard: 1, soft: 1, correct: 0, count: 1),
            batchStatistics: [], gradients: [1, -2, 3.140625, -0.0, .infinity], computeSeconds: 0, gradientEncoding: .bfloat16)),
                   runID: 7, step: 12, parameterVersion: 11),
        WireSample(name: "join (offers shared memory)", message: .join(JoinPayload(workerName: "local-0", threads: 1, sharesMemory: true)),
                   runID: 0, step: 0, parameterVersion: 0),
    ]
}

extension ShardTask {
    /// This shard carrying `logits` from the teacher cache.
    func withTeacherLogits(_ logits: [Float]) -> ShardTask {
        var task = self
        task.teacherLogits = logits
        return task
    }

    /// This shard asking for the teacher logits its executor computes.
    func askingForTeacherLogits() -> ShardTask {
        var task = self
        task.returnsTeacherLogits = true
        return task
    }
}

/// A small valid run description (2×2×3 inputs, 10 classes) for welcome messages.
func sampleRun(runID: UInt64, teacher: ModelSpec?) -> RunDescription {
    RunDescription(runID: runID, seed: 3, inputShape: [2, 2, 3], classes: 10,
                   normalization: Normalization(mean: [0.5, 0.25, 0], std: [1, 0.5, 2]),
                   objective: DistillationObjective(temperature: 4, alpha: 0.5),
                   studentSpec: ModelSpec(name: "s", layers: [.flatten, .dense(units: nil, bias: true)]), teacherSpec: teacher)
}

/// `frames` with a freshly computed header (payload length, frame count, payload checksum),
/// so a test can reach the payload decoder with payload frames it has damaged.
func resealed(_ frames: [[UInt8]]) throws -> [[UInt8]] {
    let old = try WireHeader(decoding: frames[0])
    return WireCodec.sealed(Array(frames.dropFirst()).frames, kind: old.kind, flags: old.flags, runID: old.runID, step: old.step,
                            parameterVersion: old.parameterVersion).byteArrays
}

extension Array where Element == Frame {
    /// The frames' bytes, as arrays a test can damage.
    var byteArrays: [[UInt8]] { map(\.bytes) }
}

extension Array where Element == [UInt8] {
    /// Frames holding these byte arrays.
    var frames: [Frame] { map(Frame.init) }
}

/// A header frame with byte `offset` set to `value` and the header checksum recomputed.
func headerWithByte(_ header: [UInt8], at offset: Int, setTo value: UInt8) -> [UInt8] {
    var bytes = header
    bytes[offset] = value
    let crc = CRC32C.checksum(Array(bytes[0..<48]))
    withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange(48..<52, with: $0) }
    return bytes
}
