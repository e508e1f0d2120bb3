import Core
import Interop

/// One decoder or file reader under fuzzing, and the one rule every target checks: any byte
/// string is either accepted or rejected with the typed error of that decoder, never a trap,
/// an out-of-bounds read or an untyped error. `make fuzz` (libFuzzer) and the test suite's
/// deterministic slice both feed bytes through ``run(_:in:)``.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `WireCodec.decode` over the frames of ``FuzzFrames``; see ``wireFrames(_:)``.
    case wire
    /// `IDXReader.read` over an image file and a label file (the two parts of ``FuzzFrames``).
    case idx
    /// The same reader fed gzip files (its own corpus, so inflate is exercised).
    case idxGzip = "idx-gzip"
    /// `NPYReader.read` over an image array and a label array (two ``FuzzFrames`` parts).
    case npy
    /// `CIFAR10Reader.readBatch` over one batch file.
    case cifar10
    /// `SafeTensors.decode`.
    case safetensors
    /// `Checkpoint.decode` (safetensors plus checkpoint metadata and checksum).
    case checkpoint
    /// `ModelFile.read` (safetensors plus spec metadata, then the network it describes).
    case modelFile = "model-file"
    /// `ModelSpec.parse` of YAML text, then a `Network` of it on a 8×8×3 input with 10 classes.
    case modelSpec = "model-spec"
    /// `RunConfig.merge(yaml:)` of YAML text.
    case config
    /// `ONNXImport.read` of an ONNX file, then the Distill model it describes.
    case onnx

    /// What one input did.
    public enum Outcome {
        /// The decoder returned a value.
        case accepted
        /// The decoder threw one of its own error types.
        case rejected(Error)
        /// The decoder threw an error of another type: a harness failure.
        case untyped(Error)
    }

    /// Feeds `bytes` to this target, writing files into `scratch` for the path-based readers.
    public func run(_ bytes: [UInt8], in scratch: FuzzScratch) -> Outcome {
        do {
            try decode(bytes, scratch)
            return .accepted
        } catch {
            return isTyped(error) ? .rejected(error) : .untyped(error)
        }
    }

    private func decode(_ bytes: [UInt8], _ scratch: FuzzScratch) throws {
        switch self {
        case .wire:
            _ = try WireCodec.decode(FuzzTarget.wireFrames(bytes))
        case .idx, .idxGzip:
            let (images, labels) = twoFiles(bytes, scratch)
            _ = try IDXReader.read(images: images, labels: labels)
        case .npy:
            let (images, labels) = twoFiles(bytes, scratch)
            _ = try NPYReader.read(images: images, labels: labels)
        case .cifar10:
            _ = try CIFAR10Reader.readBatch(file: scratch.write("batch.bin", bytes))
        case .safetensors:
            _ = try SafeTensors.decode(bytes, source: "fuzz")
        case .checkpoint:
            _ = try Checkpoint.decode(bytes, source: "fuzz")
        case .modelFile:
            _ = try ModelFile.read(scratch.write("model.safetensors", bytes))
        case .modelSpec:
            let spec = try ModelSpec.parse(String(decoding: bytes, as: UTF8.self), source: "fuzz")
            _ = try Network(spec: spec, inputShape: [8, 8, 3], classes: 10)
        case .config:
            var config = RunConfig()
            try config.merge(yaml: String(decoding: bytes, as: UTF8.self), source: "fuzz")
        case .onnx:
            let path = scratch.write("model.onnx", bytes)
            _ = try ONNXImport.read(path).modelFile(role: "teacher", source: path)
        }
    }

    /// The error types this target's decoder documents.
    private func isTyped(_ error: Error) -> Bool {
        switch self {
        case .wire: return error is WireError
        case .idx, .idxGzip, .npy, .cifar10: return error is DataError
        case .safetensors: return error is SafeTensorsError
        case .checkpoint: return error is CheckpointError
        case .modelFile: return error is ModelFileError || error is SafeTensorsError || error is ModelSpecError || error is IOError || error is DataError
        case .modelSpec: return error is ModelSpecError
        case .config: return error is ConfigError
        case .onnx: return error is InteropError || error is ModelSpecError || error is DataError || error is IOError
        }
    }

    /// The two parts of `bytes` written as `images` and `labels` files (a missing part is empty).
    private func twoFiles(_ bytes: [UInt8], _ scratch: FuzzScratch) -> (images: String, labels: String) {
        let parts = FuzzFrames.split(bytes)
        return (scratch.write("images", parts.first ?? []), scratch.write("labels", parts.count > 1 ? parts[1] : []))
    }

    /// The wire message of a fuzz input: byte 0 is a mode, the rest are ``FuzzFrames`` parts.
    /// With bit 0 of the mode set and a header frame of at least 52 bytes, the header's payload
    /// length, frame count, payload checksum and header checksum are recomputed (the layout of
    /// docs/PROTOCOL.md), so mutations get past the checksums into the payload decoders.
    public static func wireFrames(_ bytes: [UInt8]) -> [Frame] {
        guard let mode = bytes.first else { return [] }
        var frames = FuzzFrames.split(Array(bytes.dropFirst()))
        guard mode & 1 == 1, let header = frames.first, header.count >= WireHeader.byteCount else { return frames.map(Frame.init) }
        var payloadCRC = CRC32C()
        var length: UInt64 = 0
        for frame in frames.dropFirst() {
            payloadCRC.update(frame)
            length += UInt64(frame.count)
        }
        var sealed = header
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { sealed.replaceSubrange(offset..<(offset + $0.count), with: $0) }
        }
        put(length, at: 32)
        put(UInt32(truncatingIfNeeded: frames.count - 1), at: 40)
        put(payloadCRC.value, at: 44)
        put(CRC32C.checksum(Array(sealed[0..<48])), at: 48)
        frames[0] = sealed
        return frames.map(Frame.init)
    }

    /// The input of `frames` for ``wireFrames(_:)``: mode byte 1 (reseal), then the frames.
    public static func wireInput(_ frames: [[UInt8]]) -> [UInt8] {
        [1] + FuzzFrames.join(frames)
    }
}
