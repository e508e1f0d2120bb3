import Foundation
import XCTest
@testable import Core

/// Key folders and CZMQ certificate files: what keygen writes, and every way a file can be wrong.
final class CurveCertificateTests: XCTestCase {
    private var scratch: String!

    override func setUp() {
        scratch = NSTemporaryDirectory() + "/distill-keys-\(UUID().uuidString)"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0, path)
        return info.st_mode & 0o777
    }

    func testGenerateWritesTheFilesWithModesAndMatchingPairs() throws {
        let folder = KeyDirectory(path: scratch)
        let written = try folder.generate(workers: 2)
        let names = ["coordinator.key", "coordinator.key_secret", "worker-1.key", "worker-1.key_secret", "authorized/worker-1.key",
                     "worker-2.key", "worker-2.key_secret", "authorized/worker-2.key"]
        XCTAssertEqual(written, names.map { scratch + "/" + $0 })
        XCTAssertEqual(mode(scratch), 0o700)
        for name in names { XCTAssertEqual(mode(scratch + "/" + name), name.hasSuffix("_secret") ? 0o600 : 0o644, name) }
        for name in ["coordinator", "worker-1", "worker-2"] {
            let secret = try CurveCertificate.load("\(scratch!)/\(name).key_secret")
            let pair = try secret.keyPair(file: name)
            XCTAssertEqual(try ZMQCurve.publicKey(secretKey: pair.secretKey), pair.publicKey.bytes, "zmq_curve_public agrees")
            XCTAssertEqual(try CurveCertificate.load("\(scratch!)/\(name).key").publicKey, pair.publicKey)
            XCTAssertNil(try CurveCertificate.load("\(scratch!)/\(name).key").secretKey)
            XCTAssertEqual(secret.metadata, ["name": name])
        }
        XCTAssertEqual(try folder.authorizedKeys().values.sorted(), ["worker-1.key", "worker-2.key"])
        XCTAssertNotEqual(try folder.coordinatorKeyPair().publicKey, try CurveCertificate.load(scratch + "/worker-1.key").publicKey)
    }

    func testFileLayoutIsTheOneZcertSaveWrites() throws {
        let pair = try CurveKeyPair.generate()
        let text = CurveCertificate(keyPair: pair, metadata: ["name": "w"]).text(generated: "2026-01-01 00:00:00 UTC")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(Array(lines[1...]), [
            "#   ZeroMQ CURVE **Secret** Certificate",
            "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
            "", "metadata", "    name = \"w\"", "curve",
            "    public-key = \"\(pair.publicKey.z85)\"", "    secret-key = \"\(ZMQCurve.z85Encode(pair.secretKey)!)\"", "",
        ])
        XCTAssertTrue(lines[0].hasPrefix("#   ****  Generated on 2026-01-01 00:00:00 UTC by "), lines[0])
        let publicText = CurveCertificate(publicKey: pair.publicKey).text(generated: "now")
        XCTAssertTrue(publicText.contains("#   ZeroMQ CURVE Public Certificate\n"), publicText)
        XCTAssertTrue(publicText.hasSuffix("\nmetadata\ncurve\n    public-key = \"\(pair.publicKey.z85)\"\n"), publicText)
    }

    func testGenerateRefusesToOverwriteAndWritesNothing() throws {
        let folder = KeyDirectory(path: scratch)
        try folder.generate(workers: 1)
        let before = try String(contentsOfFile: scratch + "/worker-1.key_secret", encoding: .utf8)
        try FileManager.default.removeItem(atPath: scratch + "/coordinator.key")
        XCTAssertThrowsError(try folder.generate(workers: 2)) { error in
            XCTAssertEqual(error as? CurveCertificateError, .exists(file: scratch + "/coordinator.key_secret"))
            XCTAssertTrue("\(error)".contains("refusing to overwrite"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/coordinator.key"), "nothing written when one file exists")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/worker-2.key"))
        XCTAssertEqual(try String(contentsOfFile: scratch + "/worker-1.key_secret", encoding: .utf8), before)
    }

    /// Each malformed certificate gives the error naming the file and line at fault.
    func testMalformedCertificatesAreRejectedWithFileAndLine() throws {
        let pair = try CurveKeyPair.generate()
        let other = try CurveKeyPair.generate()
        let good = pair.publicKey.z85
        let secret = ZMQCurve.z85Encode(pair.secretKey)!
        let cases: [(String, CurveCertificateError)] = [
            ("curve\n   public-key = \"\(good)\"\n", .syntax(file: "f", line: 2, detail: "indent by multiples of 4 spaces (found 3)")),
            ("curve\n    public-key = \"\(good)\n", .syntax(file: "f", line: 2, detail: "missing closing \"")),
            ("curve\n    public-key = \"\(good)\" x\n", .syntax(file: "f", line: 2, detail: "text after the closing quote")),
            ("curve\n    public-key \"\(good)\"\n", .syntax(file: "f", line: 2, detail: "expected '=' after public-key")),
            ("public-key = \"\(good)\"\n", .syntax(file: "f", line: 1, detail: "public-key = … outside a section (expected metadata or curve)")),
            ("curve\n        public-key = \"\(good)\"\n", .syntax(file: "f", line: 2, detail: "public-key is indented deeper than a section entry")),
            ("    public-key = \"\(good)\"\n", .syntax(file: "f", line: 1, detail: "public-key is indented deeper than a section entry")),
            ("# only a comment\n\nmetadata\n", .missing(file: "f", entry: "curve/public-key")),
            ("curve\n    public-key = \"short\"\n", .invalidKey(file: "f", line: 2, entry: "curve/public-key")),
            ("curve\n    public-key = \"\(String(repeating: "~", count: 40))\"\n", .invalidKey(file: "f", line: 2, entry: "curve/public-key")),
            ("curve\n    public-key = \"\(good)\"\n    public-key = \"\(good)\"\n", .duplicate(file: "f", line: 3, entry: "curve/public-key")),
            ("curve\n    public-key = \"\(good)\"\n    secret-key = \"\(secret.dropLast())\"\n", .invalidKey(file: "f", line: 3, entry: "curve/secret-key")),
            ("curve\n    public-key = \"\(other.publicKey.z85)\"\n    secret-key = \"\(secret)\"\n", .keyMismatch(file: "f")),
            ("metadata\n    name = \"a\"\n    name = \"b\"\n", .duplicate(file: "f", line: 3, entry: "metadata/name")),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try CurveCertificate.parse(Array(text.utf8), file: "f"), text) { error in
                XCTAssertEqual(error as? CurveCertificateError, expected, text)
            }
        }
        XCTAssertThrowsError(try CurveCertificate.parse([0xFF, 0xFE], file: "f")) { error in
            XCTAssertEqual(error as? CurveCertificateError, .syntax(file: "f", line: 1, detail: "not UTF-8 text"))
        }
        // Unquoted values and trailing comments are ZPL too. Z85 includes '#', which starts a
        // comment in an unquoted value (zcert always quotes keys), so this case uses a key without one.
        var plain = pair
        while plain.publicKey.z85.contains("#") { plain = try CurveKeyPair.generate() }
        let unquoted = try CurveCertificate.parse(Array("curve\n    public-key = \(plain.publicKey.z85)   # note\n".utf8), file: "f")
        XCTAssertEqual(unquoted.publicKey, plain.publicKey)
    }

    func testLoadNamesMissingOversizedAndFolderFiles() throws {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        XCTAssertThrowsError(try CurveCertificate.load(scratch + "/none.key")) { error in
            guard case let .unreadable(file, _)? = error as? CurveCertificateError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, scratch + "/none.key")
        }
        XCTAssertThrowsError(try CurveCertificate.load(scratch)) { error in
            XCTAssertEqual(error as? CurveCertificateError, .unreadable(file: scratch, reason: "not a regular file"))
        }
        FileManager.default.createFile(atPath: scratch + "/big.key", contents: Data(count: 65537))
        XCTAssertThrowsError(try CurveCertificate.load(scratch + "/big.key")) { error in
            XCTAssertEqual(error as? CurveCertificateError, .tooLarge(file: scratch + "/big.key", bytes: 65537))
        }
        let secretText = CurveCertificate(publicKey: try CurveKeyPair.generate().publicKey).text(generated: "now")
        XCTAssertThrowsError(try CurveCertificate.parse(Array(secretText.utf8), file: "p").keyPair(file: "p")) { error in
            XCTAssertEqual(error as? CurveCertificateError, .missing(file: "p", entry: "curve/secret-key"))
        }
    }

    /// Z85 per ZeroMQ RFC 32 (its test vector), and what the decoder refuses.
    func testZ85EncodingAndItsRejections() throws {
        XCTAssertEqual(ZMQCurve.z85Encode([0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]), "HelloWorld")
        XCTAssertEqual(ZMQCurve.z85Decode("HelloWorld"), [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])
        XCTAssertNil(ZMQCurve.z85Encode([1, 2, 3]), "length not a multiple of 4")
        for bad in ["", "Hello Worl", "Hello\"orl", "\u{7F}elloWorl", "#####"] { XCTAssertNil(ZMQCurve.z85Decode(bad), bad) }
        XCTAssertNil(ZMQCurve.z85Decode("Hell"), "length not a multiple of 5")
        XCTAssertNil(CurvePublicKey(z85: "HelloWorld"), "a key has 40 characters")
        XCTAssertNil(CurvePublicKey(bytes: [1]))
        let pair = try CurveKeyPair.generate()
        XCTAssertEqual(CurvePublicKey(z85: pair.publicKey.z85), pair.publicKey)
        XCTAssertTrue(pair.publicKey.fingerprint.hasPrefix("sha256:"))
        XCTAssertEqual(pair.publicKey.fingerprint.count, 19)
        XCTAssertNil(try CurveKeyPair(publicKey: try CurveKeyPair.generate().publicKey, secretKey: pair.secretKey))
        XCTAssertThrowsError(try ZMQCurve.publicKey(secretKey: [1, 2, 3]))
    }

    func testAuthorizerAdmitsFolderKeysReloadsAndBans() throws {
        let folder = KeyDirectory(path: scratch)
        try folder.generate(workers: 2)
        let first = try CurveCertificate.load(scratch + "/worker-1.key").publicKey
        let second = try CurveCertificate.load(scratch + "/worker-2.key").publicKey
        try FileManager.default.removeItem(atPath: scratch + "/authorized/worker-2.key")
        let authorizer = try CurveAuthorizer(keys: folder)
        XCTAssertEqual(authorizer.decide(first), .admitted(name: "worker-1.key"))
        XCTAssertEqual(authorizer.decide(second), .unknown)
        try FileManager.default.copyItem(atPath: scratch + "/worker-2.key", toPath: scratch + "/authorized/worker-2.key")
        XCTAssertEqual(try authorizer.reload(), 2)
        XCTAssertEqual(authorizer.decide(second), .admitted(name: "worker-2.key"))
        authorizer.ban(second)
        XCTAssertEqual(try authorizer.reload(), 2)
        XCTAssertEqual(authorizer.decide(second), .banned, "a ban outlives reloads")
        FileManager.default.createFile(atPath: scratch + "/authorized/broken.key", contents: Data("curve\n  x\n".utf8))
        XCTAssertThrowsError(try authorizer.reload())
        XCTAssertEqual(authorizer.decide(first), .admitted(name: "worker-1.key"), "a failed reload keeps the previous keys")
        let ephemeral = try CurveKeyPair.generate().publicKey
        authorizer.admit(ephemeral, name: "local-0")
        XCTAssertEqual(authorizer.decide(ephemeral), .admitted(name: "local-0"))
        for name in ["worker-1.key", "worker-2.key", "broken.key"] { try FileManager.default.removeItem(atPath: scratch + "/authorized/" + name) }
        XCTAssertThrowsError(try CurveAuthorizer(keys: folder)) { error in
            XCTAssertEqual(error as? CurveCertificateError, .noAuthorizedKeys(folder: folder.authorizedFolder))
        }
    }
}
