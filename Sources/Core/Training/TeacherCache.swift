import Glibc

/// The frozen teacher's logits for every (training sample, augmented view), computed once and
/// kept in a memory-mapped file in the run folder (`RUN/teacher.cache`, format in
/// docs/DATA.md, "Teacher cache file").
///
/// Layout (little-endian): a 4096-byte header (magic `DSTLTCHC`, version, entry count,
/// classes, top-k, entry bytes, the ``TeacherCacheIdentity`` text, CRC-32C of the header),
/// then one 8-byte slot per entry (`u32` CRC-32C of the entry's bytes, `u32` marker `VALD`
/// when stored), then the entries, each `classes × f32` logits or, with top-k, `k × u32`
/// class indices and `k × f32` probabilities at the run's temperature. An entry counts only
/// when its slot carries the marker and its checksum matches its bytes: a store writes the
/// entry first and the slot last, so a crash at any moment leaves an entry either valid or
/// recomputed, never wrong. Entry `view · trainCount + sample` belongs to that sample's view.
///
/// With top-k, a lookup rebuilds logits whose softmax at temperature T is the stored
/// probabilities on the k classes and the remaining mass spread evenly over the others
/// (`zⱼ = T·ln qⱼ`); the distillation loss then sees that distribution instead of the exact one.
public final class TeacherCache {
    /// Entries the run asked for and found valid, stored, and found corrupt (and recomputed), since opening.
    public struct Counts: Equatable, Sendable {
        public var hits = 0
        public var stored = 0
        public var corrupt = 0
    }

    static let magic = Array("DSTLTCHC".utf8)
    static let version: UInt32 = 1
    static let headerBytes = 4096
    static let validMarker: UInt64 = 0x444C_4156  // "VALD"

    private let file: MappedFile
    /// Logits per sample.
    public let classes: Int
    /// Probabilities kept per entry (0: every logit, exactly).
    public let topK: Int
    /// Temperature the top-k probabilities are taken at.
    let temperature: Float
    let trainCount: Int
    let entries: Int
    let entryBytes: Int
    private let slots: UnsafeMutablePointer<UInt64>
    private let data: UnsafeMutableRawPointer
    /// What this session found and stored.
    public private(set) var counts = Counts()
    /// Valid entries when the file was opened (0 for a new file).
    public let validAtOpen: Int

    /// Opens `path` for `identity`, reusing a file made for the same identity and (re)creating
    /// it otherwise; `notice` says which, and why a file was rebuilt.
    /// - Throws: ``IOError`` when the file cannot be created or mapped.
    public init(path: String, identity: TeacherCacheIdentity, classes: Int, topK: Int, temperature: Float,
                trainCount: Int, views: Int, notice: (String) -> Void) throws {
        self.classes = classes
        self.topK = topK
        self.temperature = temperature
        self.trainCount = trainCount
        entries = trainCount * views
        entryBytes = topK > 0 ? 8 * topK : 4 * classes
        let slotsEnd = TeacherCache.headerBytes + 8 * entries
        let dataStart = (slotsEnd + 4095) / 4096 * 4096
        let size = dataStart + entries * entryBytes
        let header = TeacherCache.header(identity: identity, entries: entries, classes: classes, topK: topK, entryBytes: entryBytes)
        var reused: MappedFile?
        if FileSystem.exists(path) {
            switch TeacherCache.check(path: path, header: header, identity: identity, size: size) {
            case let .success(file): reused = file
            case let .failure(problem): notice("teacher cache \(path) \(problem); rebuilding it")
            }
        }
        file = try reused ?? MappedFile(creating: path, prefix: header, size: size)
        slots = (file.bytes.baseAddress! + TeacherCache.headerBytes).assumingMemoryBound(to: UInt64.self)
        data = file.bytes.baseAddress! + dataStart
        var valid = 0
        if reused != nil { for e in 0..<entries where slots[e] >> 32 == TeacherCache.validMarker { valid += 1 } }
        validAtOpen = valid
        notice(reused == nil
            ? "teacher cache \(path): \(entries) entries (\(trainCount) samples × \(views) views, \(topK > 0 ? "top \(topK) of \(classes) probabilities" : "\(classes) logits") each)"
            : "teacher cache \(path): reusing \(valid) of \(entries) entries")
    }

    /// Writes every stored entry to the disk.
    public func sync() throws { try file.sync() }

    /// Entry index of `sample` in `view`.
    func entry(sample: Int, view: Int) -> Int { view * trainCount + sample }

    /// Writes the logits of `entry` (`classes` floats) to `destination` and returns true when
    /// the entry is stored and its checksum matches; a mismatch is counted, the entry cleared
    /// (so it is recomputed and stored again), and false returned.
    func logits(entry: Int, into destination: UnsafeMutablePointer<Float>) -> Bool {
        let slot = slots[entry]
        guard slot >> 32 == TeacherCache.validMarker else { return false }
        let bytes = UnsafeRawBufferPointer(start: data + entry * entryBytes, count: entryBytes)
        var crc = CRC32C()
        crc.update(bytes)
        guard UInt32(truncatingIfNeeded: slot) == crc.value, topK == 0 || indicesInRange(bytes) else {
            counts.corrupt += 1
            slots[entry] = 0
            return false
        }
        if topK == 0 {
            destination.update(from: bytes.baseAddress!.assumingMemoryBound(to: Float.self), count: classes)
        } else {
            rebuildLogits(from: bytes, into: destination)
        }
        counts.hits += 1
        return true
    }

    /// Stores the `classes` teacher logits at `logits` as `entry`: the entry's bytes first, then its slot.
    func store(entry: Int, logits: UnsafePointer<Float>) {
        let bytes = UnsafeMutableRawBufferPointer(start: data + entry * entryBytes, count: entryBytes)
        if topK == 0 {
            bytes.baseAddress!.copyMemory(from: logits, byteCount: entryBytes)
        } else {
            keepTopK(logits, into: bytes)
        }
        var crc = CRC32C()
        crc.update(UnsafeRawBufferPointer(bytes))
        slots[entry] = TeacherCache.validMarker << 32 | UInt64(crc.value)
        counts.stored += 1
    }

    // MARK: top-k

    private func indicesInRange(_ bytes: UnsafeRawBufferPointer) -> Bool {
        (0..<topK).allSatisfy { Int(bytes.load(fromByteOffset: 4 * $0, as: UInt32.self)) < classes }
    }

    /// `k` class indices, then their probabilities `softmax(z/T)`, largest first.
    private func keepTopK(_ logits: UnsafePointer<Float>, into bytes: UnsafeMutableRawBufferPointer) {
        let invT = 1 / temperature
        var top = 0
        for k in 1..<classes where logits[k] > logits[top] { top = k }
        var sum = 0.0
        for k in 0..<classes { sum += Double(expf((logits[k] - logits[top]) * invT)) }
        let order = (0..<classes).sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        for (i, k) in order.prefix(topK).enumerated() {
            bytes.storeBytes(of: UInt32(k), toByteOffset: 4 * i, as: UInt32.self)
            let q = Float(Double(expf((logits[k] - logits[top]) * invT)) / sum)
            bytes.storeBytes(of: q, toByteOffset: 4 * (topK + i), as: Float.self)
        }
    }

    /// Logits `T·ln q` for the stored probabilities and for the remaining mass spread evenly
    /// over the other classes (probabilities below the smallest normal float are raised to it).
    private func rebuildLogits(from bytes: UnsafeRawBufferPointer, into destination: UnsafeMutablePointer<Float>) {
        var kept: Float = 0
        for i in 0..<topK { kept += bytes.load(fromByteOffset: 4 * (topK + i), as: Float.self) }
        let rest = max(1 - kept, 0) / Float(classes - topK)
        let floor = Float.leastNormalMagnitude
        destination.update(repeating: temperature * logf(max(rest, floor)), count: classes)
        for i in 0..<topK {
            let k = Int(bytes.load(fromByteOffset: 4 * i, as: UInt32.self))
            destination[k] = temperature * logf(max(bytes.load(fromByteOffset: 4 * (topK + i), as: Float.self), floor))
        }
    }

    // MARK: header

    private static func header(identity: TeacherCacheIdentity, entries: Int, classes: Int, topK: Int, entryBytes: Int) -> [UInt8] {
        var w = WireWriter()
        w.raw(magic)
        w.integer(version)
        w.integer(UInt32(headerBytes))
        w.integer(UInt64(entries))
        w.integer(UInt32(classes))
        w.integer(UInt32(topK))
        w.integer(UInt32(entryBytes))
        let text = Array(identity.text.utf8.prefix(headerBytes - 48))
        w.integer(UInt32(text.count))
        w.raw(text)
        var bytes = w.fields + [UInt8](repeating: 0, count: headerBytes - 4 - w.fields.count)
        let crc = CRC32C.checksum(bytes)
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The mapped file at `path` if its header equals `header` and its size is `size`, else why not.
    private static func check(path: String, header: [UInt8], identity: TeacherCacheIdentity, size: Int) -> Result<MappedFile, CacheFileProblem> {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { return .failure(CacheFileProblem("cannot be read (\(error))")) }
        guard file.bytes.count >= headerBytes else { return .failure(CacheFileProblem("is truncated (\(file.bytes.count) bytes)")) }
        let stored = Array(file.bytes[0..<headerBytes])
        guard Array(stored[0..<8]) == magic else { return .failure(CacheFileProblem("is not a teacher cache (bad magic)")) }
        guard CRC32C.checksum(Array(stored[0..<(headerBytes - 4)])) == stored[(headerBytes - 4)...].withUnsafeBytes({ $0.loadUnaligned(as: UInt32.self) }) else {
            return .failure(CacheFileProblem("has a corrupt header (checksum mismatch)"))
        }
        if stored != header {
            let length = Int(stored[36..<40].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
            let text = String(decoding: stored[40..<min(40 + length, headerBytes - 4)], as: UTF8.self)
            let why = TeacherCacheIdentity(text: text).flatMap { identity.difference(from: $0) } ?? "its format differs"
            return .failure(CacheFileProblem("was made for another run (\(why))"))
        }
        guard file.bytes.count == size else { return .failure(CacheFileProblem("has \(file.bytes.count) bytes, expected \(size)")) }
        return .success(file)
    }
}

/// Why an existing teacher cache file is not reused.
struct CacheFileProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
