import Foundation
import XCTest
@testable import Core

/// The teacher cache file on its own: entries, checksums, identity, top-k; and the configuration rules.
final class TeacherCacheTests: XCTestCase {
    private var folder = ""
    private var path: String { folder + "/teacher.cache" }
    private let identity = TeacherCacheIdentity(text: "teacher_sha256=abc\nviews=2")!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "/distill-cache-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private func open(_ identity: TeacherCacheIdentity? = nil, topK: Int = 0, classes: Int = 3, notices: inout [String]) throws -> TeacherCache {
        var heard: [String] = []
        let cache = try TeacherCache(path: path, identity: identity ?? self.identity, classes: classes, topK: topK, temperature: 2,
                                     trainCount: 4, views: 2, notice: { heard.append($0) })
        notices += heard
        return cache
    }

    private func lookup(_ cache: TeacherCache, _ entry: Int) -> [Float]? {
        var out = [Float](repeating: 0, count: cache.classes)
        return out.withUnsafeMutableBufferPointer { cache.logits(entry: entry, into: $0.baseAddress!) } ? out : nil
    }

    /// Flips one bit of the file at `offset`.
    private func damage(at offset: Int) throws {
        var bytes = try AtomicFile.read(path)
        bytes[offset] ^= 0x10
        try AtomicFile.write(bytes, to: path)
    }

    func testEntriesSurviveReopeningAndADamagedEntryIsRecomputedNotUsed() throws {
        var notices: [String] = []
        do {
            let cache = try open(notices: &notices)
            XCTAssertEqual(cache.entry(sample: 3, view: 1), 7)
            XCTAssertNil(lookup(cache, 7), "nothing stored yet")
            for entry in [0, 7] { cache.store(entry: entry, logits: [Float(entry), -1.5, .greatestFiniteMagnitude]) }
            XCTAssertEqual(lookup(cache, 7), [7, -1.5, .greatestFiniteMagnitude])
            try cache.sync()
        }
        XCTAssertEqual(notices, ["teacher cache \(path): 8 entries (4 samples × 2 views, 3 logits each)"])
        notices = []
        let reopened = try open(notices: &notices)
        XCTAssertEqual(notices, ["teacher cache \(path): reusing 2 of 8 entries"])
        XCTAssertEqual(reopened.validAtOpen, 2)
        XCTAssertEqual(lookup(reopened, 0), [0, -1.5, .greatestFiniteMagnitude])
        XCTAssertNil(lookup(reopened, 1))

        // Entry data start at the first 4 KiB boundary after the header and 8 slots.
        try damage(at: 8192 + 7 * 12 + 5)
        let damaged = try open(notices: &notices)
        XCTAssertNil(lookup(damaged, 7), "a checksum mismatch is never used")
        XCTAssertEqual(damaged.counts.corrupt, 1)
        XCTAssertNil(lookup(damaged, 7), "the entry is cleared, to be stored again")
        XCTAssertEqual(damaged.counts.corrupt, 1)
        XCTAssertEqual(lookup(damaged, 0), [0, -1.5, .greatestFiniteMagnitude], "other entries stay valid")
        damaged.store(entry: 7, logits: [1, 2, 3])
        XCTAssertEqual(lookup(damaged, 7), [1, 2, 3])
    }

    func testAnotherRunsOrADamagedHeaderIsRebuiltWithTheReason() throws {
        var notices: [String] = []
        try open(notices: &notices).store(entry: 2, logits: [1, 2, 3])
        notices = []
        let other = TeacherCacheIdentity(text: "teacher_sha256=abc\nviews=3")!
        XCTAssertNil(lookup(try open(other, notices: &notices), 2))
        XCTAssertEqual(notices.first, "teacher cache \(path) was made for another run (views: 2 in the file, 3 now); rebuilding it")
        notices = []
        try open(notices: &notices).store(entry: 2, logits: [1, 2, 3])
        XCTAssertTrue(notices.first?.contains("was made for another run (views: 3 in the file, 2 now)") ?? false, "\(notices)")
        notices = []
        _ = try open(topK: 1, notices: &notices)
        XCTAssertEqual(notices.first, "teacher cache \(path) was made for another run (its format differs); rebuilding it")
        try damage(at: 20)
        notices = []
        _ = try open(topK: 1, notices: &notices)
        XCTAssertEqual(notices.first, "teacher cache \(path) has a corrupt header (checksum mismatch); rebuilding it")
        try AtomicFile.write(Array(try AtomicFile.read(path).prefix(5000)), to: path)
        notices = []
        _ = try open(topK: 1, notices: &notices)
        XCTAssertEqual(notices.first, "teacher cache \(path) has 5000 bytes, expected 8256; rebuilding it")
    }

    /// Top-k keeps the k largest probabilities at temperature T and spreads the rest evenly:
    /// the rebuilt logits' softmax at T is exactly that distribution.
    func testTopKKeepsTheLargestProbabilitiesAndSpreadsTheRestEvenly() throws {
        var notices: [String] = []
        let cache = try open(topK: 2, classes: 5, notices: &notices)
        XCTAssertEqual(notices, ["teacher cache \(path): 8 entries (4 samples × 2 views, top 2 of 5 probabilities each)"])
        let logits: [Float] = [1, 4, -2, 3, 0]
        cache.store(entry: 1, logits: logits)
        let rebuilt = try XCTUnwrap(lookup(cache, 1))
        func softmax(_ z: [Float], _ t: Float) -> [Double] {
            let e = z.map { exp(Double($0 / t)) }
            return e.map { $0 / e.reduce(0, +) }
        }
        let exact = softmax(logits, 2), approx = softmax(rebuilt, 2)
        XCTAssertEqual(approx[1], exact[1], accuracy: 1e-6)
        XCTAssertEqual(approx[3], exact[3], accuracy: 1e-6)
        let rest = (1 - exact[1] - exact[3]) / 3
        for k in [0, 2, 4] { XCTAssertEqual(approx[k], rest, accuracy: 1e-6) }
    }

    func testConfigurationRulesNameTheKeyAndWhatToDo() throws {
        func refusal(_ overrides: [String]) -> String {
            do {
                _ = try RunConfig.load(path: nil, overrides: overrides)
                return "accepted"
            } catch { return "\(error)" }
        }
        let teacher = "teacher.checkpoint=runs/t"
        XCTAssertEqual(refusal(["teacher.cache=true", teacher]),
                       "--set: teacher.cache = 'true' is invalid: expected false unless augment.views ≥ 1 or every augment.* transform "
                        + "is off (fresh augmentation never repeats an image)")
        XCTAssertEqual(refusal(["teacher.cache=true", "augment.views=4"]),
                       "--set: teacher.cache = 'true' is invalid: expected false without a teacher.checkpoint and distill.alpha > 0 (nothing to cache)")
        XCTAssertEqual(refusal(["teacher.cache_top_k=3"]), "--set: teacher.cache_top_k = '3' is invalid: expected 0 unless teacher.cache is true")
        XCTAssertEqual(refusal(["augment.views=-1"]), "--set: augment.views = '-1' is invalid: expected an integer in 0…1048576")
        XCTAssertEqual(refusal(["teacher.cache=true", "augment.views=4", teacher]), "accepted")
        XCTAssertEqual(refusal(["teacher.cache=true", teacher, "augment.width_shift=0", "augment.height_shift=0",
                                "augment.horizontal_flip=false"]), "accepted", "augmentation off: one view")
    }
}
