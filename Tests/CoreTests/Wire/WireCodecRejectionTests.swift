import XCTest
@testable import Core

/// Damaged and hostile input: every case must throw a `WireError`, never trap.
final class WireCodecRejectionTests: XCTestCase {
    /// Decodes `frames` expecting a failure, and returns the `WireError` thrown.
    private func rejection(_ frames: [[UInt8]], _ context: String,
                           file: StaticString = #filePath, line: UInt = #line) -> WireError? {
        do {
            _ = try WireCodec.decode(frames.frames)
            XCTFail("\(context): decoded without error", file: file, line: line)
        } catch let error as WireError {
            XCTAssertFalse(error.description.isEmpty)
            return error
        } catch {
            XCTFail("\(context): threw \(error), not a WireError", file: file, line: line)
        }
        return nil
    }

    func testNoFramesIsTruncated() {
        XCTAssertEqual(rejection([], "no frames"), .truncated(what: "message frames", needed: 1, available: 0))
    }

    /// Every proper prefix of every frame throws: header prefixes as truncation, payload
    /// prefixes as a length mismatch with the header, and - after resealing the header - in
    /// the payload decoder itself.
    func testEveryTruncatedPrefixOfEveryFrameThrows() throws {
        for sample in WireSample.all {
            let frames = sample.frames
            for f in frames.indices {
                for length in 0..<frames[f].count {
                    var cut = frames
                    cut[f] = Array(frames[f][0..<length])
                    let context = "\(sample.name) frame \(f) cut to \(length) of \(frames[f].count)"
                    let error = rejection(cut, context)
                    if f == 0 {
                        guard case .truncated = error else { return XCTFail("\(context): \(String(describing: error))") }
                    } else {
                        guard case .lengthMismatch = error else { return XCTFail("\(context): \(String(describing: error))") }
                        _ = rejection(try resealed(cut), "\(context), resealed")
                    }
                }
            }
        }
    }

    func testMissingOrExtraFramesThrow() throws {
        for sample in WireSample.all {
            let frames = sample.frames
            _ = rejection(frames + [[1, 2, 3, 4]], "\(sample.name) + extra frame")
            guard case .lengthMismatch = rejection(try resealed(frames + [[0, 0, 0, 0]]), "\(sample.name) + extra frame, resealed")
            else { return XCTFail(sample.name) }
            var longer = frames
            longer[1].append(0)
            guard case .lengthMismatch = rejection(try resealed(longer), "\(sample.name) trailing field byte")
            else { return XCTFail(sample.name) }
            if frames.count > 2 {
                _ = rejection(try resealed(Array(frames.dropLast())), "\(sample.name) last frame dropped")
            }
        }
    }

    func testEveryPayloadBitFlipIsAChecksumMismatch() {
        for sample in WireSample.all {
            let frames = sample.frames
            for f in frames.indices.dropFirst() {
                for byte in frames[f].indices {
                    for bit in 0..<8 {
                        var flipped = frames
                        flipped[f][byte] ^= 1 << bit
                        guard case .checksumMismatch(let what, _, _) = rejection(flipped, "\(sample.name) \(f):\(byte):\(bit)"),
                              what.hasSuffix("payload")
                        else { return XCTFail("\(sample.name) frame \(f) byte \(byte) bit \(bit) not a payload checksum mismatch") }
                    }
                }
            }
        }
    }

    func testEveryHeaderBitFlipThrows() {
        let frames = WireSample.all[0].frames
        for byte in 0..<WireHeader.byteCount {
            for bit in 0..<8 {
                var flipped = frames
                flipped[0][byte] ^= 1 << bit
                _ = rejection(flipped, "header byte \(byte) bit \(bit)")
            }
        }
    }

    func testBadMagic() {
        var frames = WireCodec.encode(.heartbeat, runID: 1, step: 0, parameterVersion: 0).byteArrays
        frames[0][0] = UInt8(ascii: "X")
        XCTAssertEqual(rejection(frames, "magic"), .badMagic(found: Array("XSTL".utf8)))
    }

    func testUnsupportedVersion() {
        var frames = WireCodec.encode(.heartbeat, runID: 1, step: 0, parameterVersion: 0).byteArrays
        frames[0] = headerWithByte(frames[0], at: 4, setTo: 1)
        XCTAssertEqual(rejection(frames, "version"), .unsupportedVersion(found: 1, expected: 4))
    }

    func testUnknownKind() {
        var frames = WireCodec.encode(.heartbeat, runID: 1, step: 0, parameterVersion: 0).byteArrays
        for kind: UInt8 in [0, 10, 255] {
            frames[0] = headerWithByte(frames[0], at: 6, setTo: kind)
            XCTAssertEqual(rejection(frames, "kind \(kind)"), .unknownKind(kind))
        }
    }

    func testUnsupportedFlags() {
        var frames = WireCodec.encode(.heartbeat, runID: 1, step: 0, parameterVersion: 0).byteArrays
        frames[0] = headerWithByte(frames[0], at: 7, setTo: 0x80)
        XCTAssertEqual(rejection(frames, "flags"), .unsupportedFlags(0x80))
        frames[0] = headerWithByte(frames[0], at: 7, setTo: WireHeader.teacherLogitsFlag)
        XCTAssertEqual(rejection(frames, "teacher-logits flag on a heartbeat"), .unsupportedFlags(WireHeader.teacherLogitsFlag))
    }

    func testTeacherLogitsSectionIsCheckedLikeEveryOtherField() throws {
        let asking = ShardTask(shardIndex: 0, sampleOffset: 0, count: 1, height: 1, width: 1, channels: 1, images: [1], labels: [0])
            .askingForTeacherLogits()
        var frames = WireCodec.encode(.task(TaskPayload(step: 1, parameterVersion: 1, epoch: 0, shards: [asking])),
                                      runID: 1, step: 1, parameterVersion: 1).byteArrays
        XCTAssertEqual(try WireHeader(decoding: frames[0]).flags, WireHeader.teacherLogitsFlag)
        frames[1][8 + 8 + 4 + 4 + 6 * 4] = 2  // returnsTeacherLogits, after step, version, epoch, shard count and six u32
        XCTAssertEqual(rejection(try resealed(frames), "flag 2"),
                       .invalidDocument(field: "task.shards[0].returnsTeacherLogits", detail: "is 2, expected 0 or 1"))
        let plain = WireCodec.encode(.task(TaskPayload(step: 1, parameterVersion: 1, epoch: 0, shards: [
            ShardTask(shardIndex: 0, sampleOffset: 0, count: 1, height: 1, width: 1, channels: 1, images: [1], labels: [0])])),
            runID: 1, step: 1, parameterVersion: 1)
        XCTAssertEqual(try WireHeader(decoding: plain[0].bytes).flags, 0, "a run without the cache sends what it sent before")
        XCTAssertEqual(plain.count, 4)
    }

    func testOverlongHeaderFrame() {
        var frames = WireCodec.encode(.heartbeat, runID: 1, step: 0, parameterVersion: 0).byteArrays
        frames[0].append(0)
        XCTAssertEqual(rejection(frames, "long header"), .lengthMismatch(what: "header frame bytes", declared: 52, actual: 53))
    }

    func testPayloadFieldContradictingHeaderIsRejected() {
        let task = WireMessage.task(TaskPayload(step: 5, parameterVersion: 4, epoch: 0, shards: []))
        XCTAssertEqual(rejection(WireCodec.encode(task, runID: 1, step: 6, parameterVersion: 4).byteArrays, "step"),
                       .headerMismatch(field: "task.step", header: 6, payload: 5))
        let welcome = WireMessage.welcome(WelcomePayload(run: sampleRun(runID: 9, teacher: nil)))
        XCTAssertEqual(rejection(WireCodec.encode(welcome, runID: 8, step: 0, parameterVersion: 0).byteArrays, "runID"),
                       .headerMismatch(field: "welcome.runDescription.runID", header: 8, payload: 9))
    }

    /// A welcome whose run description is not JSON, or holds a value a worker would index or
    /// divide by out of range, is rejected naming the key.
    func testUnusableRunDescriptionIsRejectedNamingTheKey() {
        func welcome(_ json: String) -> [[UInt8]] {
            forged(.welcome) { w in
                w.string(json, maxBytes: WireLimits.maxDocumentBytes, "doc")
                for _ in 0..<2 { w.shape([0], "shape") }
                for _ in 0..<2 { w.bulk([Float]()) }
            }
        }
        guard case .invalidDocument(let field, let detail) = rejection(welcome("{not json"), "not JSON") else { return XCTFail("not JSON") }
        XCTAssertEqual(field, "welcome.runDescriptionJSON")
        XCTAssertTrue(detail.hasPrefix("unreadable run description"), detail)
        let good = sampleRun(runID: 1, teacher: nil)
        XCTAssertNoThrow(try WireCodec.decode(welcome(good.json()).frames))
        let cases: [(String, (inout RunDescription) -> Void)] = [
            ("classes 0 must be in", { $0.classes = 0 }),
            ("inputShape [2, 2]", { $0.inputShape = [2, 2] }),
            ("inputShape [0, 2, 3]", { $0.inputShape = [0, 2, 3] }),
            ("normalizationMean and normalizationStd need 3 values", { $0.normalizationStd = [1] }),
            ("normalizationStd [1.0, 0.0, 2.0] must be finite and > 0", { $0.normalizationStd = [1, 0, 2] }),
            ("unreadable run description", { $0.normalizationMean = [.nan, 0.25, 0] }),
            ("temperature -1.0 must be", { $0.temperature = -1 }),
            ("alpha 2.0 must be in [0, 1]", { $0.alpha = 2 }),
        ]
        for (expected, damage) in cases {
            var run = good
            damage(&run)
            guard case .invalidDocument(_, let detail) = rejection(welcome(run.json()), expected) else { XCTFail(expected); continue }
            XCTAssertTrue(detail.hasPrefix(expected), "\(detail) does not start with \(expected)")
        }
    }

    /// A hand-built payload of `kind` with a correct header, for hostile field values.
    private func forged(_ kind: WireKind, _ build: (inout WireWriter) -> Void) -> [[UInt8]] {
        var w = WireWriter()
        build(&w)
        return WireCodec.sealed(w.frames, kind: kind, runID: 1, step: 0, parameterVersion: 0).byteArrays
    }

    func testHugeDeclaredCountIsAShapeMismatch() {
        let frames = forged(.parameters) { w in
            w.integer(UInt64(0))
            w.integer(UInt32.max)
            w.integer(UInt32(0))
            w.bulk([Float(1)])
            w.bulk([Float]())
        }
        guard case .shapeMismatch(let detail) = rejection(frames, "huge count") else { return XCTFail("huge count") }
        XCTAssertTrue(detail.contains("parameters.parameters"), detail)
    }

    func testOverflowingImageDimensionsAreTooLarge() {
        let frames = forged(.task) { w in
            w.integer(UInt64(0))
            w.integer(UInt64(0))
            w.int(0, "epoch")
            w.int(1, "shards")
            for value in [0, 0, Int(UInt32.max), Int(UInt32.max), Int(UInt32.max), Int(UInt32.max)] { w.int(value, "field") }
            w.bulk([UInt8]())
            w.bulk([Int32]())
        }
        guard case .tooLarge(let what, _, _) = rejection(frames, "dims") else { return XCTFail("dims") }
        XCTAssertTrue(what.contains("shards[0].images"), what)
    }

    func testOverflowingShapeIsTooLarge() {
        let frames = forged(.welcome) { w in
            w.string(sampleRun(runID: 1, teacher: nil).json(), maxBytes: WireLimits.maxDocumentBytes, "doc")
            w.shape([Int(UInt32.max), Int(UInt32.max), Int(UInt32.max)], "shape")
            w.shape([0], "shape")
            w.bulk([Float]())
            w.bulk([Float]())
        }
        guard case .tooLarge = rejection(frames, "shape") else { return XCTFail("shape") }
    }

    func testTooManyShardsIsTooLarge() {
        let frames = forged(.task) { w in
            w.integer(UInt64(0))
            w.integer(UInt64(0))
            w.int(0, "epoch")
            w.int(WireLimits.maxShards + 1, "shards")
        }
        XCTAssertEqual(rejection(frames, "shards"), .tooLarge(what: "task.shards.count", size: 65537, limit: 65536))
    }

    func testOverlongStringIsTooLarge() {
        let frames = forged(.shutdown) { w in w.int(WireLimits.maxReasonBytes + 1, "length") }
        XCTAssertEqual(rejection(frames, "reason"),
                       .tooLarge(what: "shutdown.reason length", size: UInt64(WireLimits.maxReasonBytes + 1),
                                 limit: UInt64(WireLimits.maxReasonBytes)))
    }

    func testInvalidUTF8IsRejected() {
        let frames = forged(.shutdown) { w in
            w.int(2, "length")
            w.raw([0xC3, 0x28])
        }
        XCTAssertEqual(rejection(frames, "utf8"), .invalidString(field: "shutdown.reason"))
    }

    func testTruncationErrorNamesFieldAndOffset() {
        let frames = forged(.result) { w in
            w.int(1, "shardIndex")
            w.raw([1, 2])
        }
        XCTAssertEqual(rejection(frames, "result"), .truncated(what: "result.count at byte 4", needed: 4, available: 2))
    }
}
