import Glibc

/// A CURVE certificate in the text format of CZMQ's `zcert_save`: ZPL (ZeroMQ RFC 4) with a
/// `metadata` section of `name = "value"` lines and a `curve` section holding `public-key`
/// and, in the secret file (`NAME.key_secret`), `secret-key`, both in Z85. Comment lines
/// (`#`) head the file as zcert writes them. ZeroMQ tooling (zcert_load, zauth) reads these files.
public struct CurveCertificate: Sendable, Equatable {
    /// The certificate's public key.
    public let publicKey: CurvePublicKey
    /// The secret key (32 bytes) of a secret certificate; `nil` in a public one.
    public let secretKey: [UInt8]?
    /// The `metadata` section, e.g. `["name": "worker-1"]`.
    public let metadata: [String: String]

    /// Files larger than this are not certificates.
    static let maxBytes = 64 << 10

    /// A public certificate (no secret key).
    public init(publicKey: CurvePublicKey, metadata: [String: String] = [:]) {
        self.publicKey = publicKey
        secretKey = nil
        self.metadata = metadata
    }

    /// A secret certificate holding both halves of `keyPair`.
    public init(keyPair: CurveKeyPair, metadata: [String: String] = [:]) {
        publicKey = keyPair.publicKey
        secretKey = keyPair.secretKey
        self.metadata = metadata
    }

    /// Both keys of a secret certificate read from `file`.
    /// - Throws: ``CurveCertificateError/missing(file:entry:)`` for a public certificate,
    ///   ``CurveCertificateError/keyMismatch(file:)`` if the keys do not belong together.
    public func keyPair(file: String) throws -> CurveKeyPair {
        guard let secretKey else { throw CurveCertificateError.missing(file: file, entry: "curve/secret-key") }
        guard let pair = try CurveKeyPair(publicKey: publicKey, secretKey: secretKey) else {
            throw CurveCertificateError.keyMismatch(file: file)
        }
        return pair
    }

    /// The file text, exactly as `zcert_save_public` / `zcert_save_secret` lay it out;
    /// `generated` is the time stamp of the first comment line.
    public func text(generated: String) -> String {
        var lines = ["#   ****  Generated on \(generated) by Distill (CZMQ zcert format)  ****"]
        if secretKey == nil {
            lines += ["#   ZeroMQ CURVE Public Certificate",
                      "#   Exchange securely, or use a secure mechanism to verify the contents",
                      "#   of this file after exchange. Store public certificates in your home",
                      "#   directory, in the .curve subdirectory."]
        } else {
            lines += ["#   ZeroMQ CURVE **Secret** Certificate",
                      "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions."]
        }
        lines += ["", "metadata"]
        lines += metadata.keys.sorted().map { "    \($0) = \"\(metadata[$0]!)\"" }
        lines += ["curve", "    public-key = \"\(publicKey.z85)\""]
        if let secretKey { lines.append("    secret-key = \"\(ZMQCurve.z85Encode(secretKey)!)\"") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads the certificate at `path`.
    /// - Throws: ``CurveCertificateError`` naming `path` (and the line for a syntax error).
    public static func load(_ path: String) throws -> CurveCertificate {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CurveCertificateError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        let isFile = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        close(fd)
        guard isFile else { throw CurveCertificateError.unreadable(file: path, reason: "not a regular file") }
        guard Int(info.st_size) <= maxBytes else { throw CurveCertificateError.tooLarge(file: path, bytes: Int(info.st_size)) }
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(path) } catch {
            throw CurveCertificateError.unreadable(file: path, reason: "\(error)")
        }
        guard bytes.count <= maxBytes else { throw CurveCertificateError.tooLarge(file: path, bytes: bytes.count) }
        return try parse(bytes, file: path)
    }

    /// Parses certificate text; `file` names it in errors.
    /// - Throws: ``CurveCertificateError`` naming `file` and the line at fault.
    public static func parse(_ bytes: [UInt8], file: String) throws -> CurveCertificate {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CurveCertificateError.syntax(file: file, line: 1, detail: "not UTF-8 text")
        }
        var section: String?
        var publicKey: (CurvePublicKey, line: Int)?
        var secretKey: [UInt8]?
        var metadata: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            guard let entry = try ZPLLine(rawLine, file: file, line: number) else { continue }
            if entry.depth == 0 {
                guard entry.value == nil else {
                    throw CurveCertificateError.syntax(file: file, line: number, detail: "\(entry.name) = … outside a section (expected metadata or curve)")
                }
                section = entry.name
                continue
            }
            guard entry.depth == 1, let section else {
                throw CurveCertificateError.syntax(file: file, line: number, detail: "\(entry.name) is indented deeper than a section entry")
            }
            let value = entry.value ?? ""
            switch (section, entry.name) {
            case ("curve", "public-key"):
                guard publicKey == nil else { throw CurveCertificateError.duplicate(file: file, line: number, entry: "curve/public-key") }
                guard let key = CurvePublicKey(z85: value) else { throw CurveCertificateError.invalidKey(file: file, line: number, entry: "curve/public-key") }
                publicKey = (key, number)
            case ("curve", "secret-key"):
                guard secretKey == nil else { throw CurveCertificateError.duplicate(file: file, line: number, entry: "curve/secret-key") }
                guard value.utf8.count == 40, let key = ZMQCurve.z85Decode(value) else {
                    throw CurveCertificateError.invalidKey(file: file, line: number, entry: "curve/secret-key")
                }
                secretKey = key
            case ("metadata", let name):
                guard metadata[name] == nil else { throw CurveCertificateError.duplicate(file: file, line: number, entry: "metadata/\(name)") }
                metadata[name] = value
            default:
                break
            }
        }
        guard let publicKey else { throw CurveCertificateError.missing(file: file, entry: "curve/public-key") }
        if let secretKey {
            guard let pair = try CurveKeyPair(publicKey: publicKey.0, secretKey: secretKey) else {
                throw CurveCertificateError.keyMismatch(file: file)
            }
            return CurveCertificate(keyPair: pair, metadata: metadata)
        }
        return CurveCertificate(publicKey: publicKey.0, metadata: metadata)
    }
}

/// One meaningful line of ZPL: its depth (4 spaces per level), name and optional value.
private struct ZPLLine {
    let depth: Int
    let name: String
    let value: String?

    /// Parses `line`; `nil` for a blank or comment line.
    init?(_ line: Substring, file: String, line number: Int) throws {
        var characters = Array(line.utf8)
        while let last = characters.last, last == 0x20 || last == 0x09 || last == 0x0D { characters.removeLast() }
        if characters.isEmpty || characters[0] == UInt8(ascii: "#") { return nil }
        func fail(_ detail: String) -> CurveCertificateError { .syntax(file: file, line: number, detail: detail) }
        var position = 0
        while position < characters.count, characters[position] == 0x20 { position += 1 }
        guard position % 4 == 0 else { throw fail("indent by multiples of 4 spaces (found \(position))") }
        depth = position / 4
        let nameStart = position
        while position < characters.count, ZPLLine.isNameCharacter(characters[position]) { position += 1 }
        guard position > nameStart else { throw fail("expected a name") }
        name = String(decoding: characters[nameStart..<position], as: UTF8.self)
        guard name.first != "/", name.last != "/" else { throw fail("'/' cannot start or end a name") }
        while position < characters.count, characters[position] == 0x20 || characters[position] == 0x09 { position += 1 }
        guard position < characters.count else { value = nil; return }
        if characters[position] == UInt8(ascii: "#") { value = nil; return }
        guard characters[position] == UInt8(ascii: "=") else { throw fail("expected '=' after \(name)") }
        position += 1
        while position < characters.count, characters[position] == 0x20 || characters[position] == 0x09 { position += 1 }
        if position < characters.count, characters[position] == UInt8(ascii: "\"") || characters[position] == UInt8(ascii: "'") {
            let quote = characters[position]
            guard let end = characters[(position + 1)...].firstIndex(of: quote) else {
                throw fail("missing closing \(Character(UnicodeScalar(quote)))")
            }
            value = String(decoding: characters[(position + 1)..<end], as: UTF8.self)
            let rest = characters[(end + 1)...].drop { $0 == 0x20 || $0 == 0x09 }
            guard rest.first == nil || rest.first == UInt8(ascii: "#") else { throw fail("text after the closing quote") }
        } else {
            let end = characters[position...].firstIndex(of: UInt8(ascii: "#")) ?? characters.count
            var trimmed = Array(characters[position..<end])
            while let last = trimmed.last, last == 0x20 || last == 0x09 { trimmed.removeLast() }
            value = String(decoding: trimmed, as: UTF8.self)
        }
    }

    /// ZPL name characters: letters, digits and `$-_@.&+/`.
    private static func isNameCharacter(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || "$-_@.&+/".utf8.contains(c)
    }
}
