import XCTest
@testable import Core

/// FIPS 180-4 / NIST example vectors, and streaming in arbitrary pieces.
final class SHA256Tests: XCTestCase {
    private let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    func testStandardVectors() {
        for (message, digest) in vectors {
            XCTAssertEqual(SHA256.hex(Array(message.utf8)), digest, "\"\(message)\"")
        }
    }

    func testPaddingBoundaries() {
        // Lengths around the 55/56-byte padding edge of one and two blocks; digests from Python's hashlib.
        let digests: [Int: String] = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            119: "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb",
            120: "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c",
        ]
        for (length, digest) in digests {
            XCTAssertEqual(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: length)), digest, "\(length) × 'a'")
        }
    }

    func testOneMillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        XCTAssertEqual(SHA256.hex(message), expected)
        // The same message fed in uneven pieces that straddle block boundaries.
        var hasher = SHA256Hasher()
        let pieces = [1, 63, 64, 65, 7, 1000, 129]
        var offset = 0, k = 0
        message.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = min(pieces[k % pieces.count], raw.count - offset)
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + n]))
                offset += n
                k += 1
            }
        }
        XCTAssertEqual(SHA256.hexString(hasher.finalize()), expected)
    }

    func testEverySplitPointAgreesAndFinalizeDoesNotConsume() {
        let message = Array(vectors[3].0.utf8)
        for split in 0...message.count {
            var hasher = SHA256Hasher()
            hasher.update(Array(message[..<split]))
            hasher.update(Array(message[split...]))
            XCTAssertEqual(SHA256.hexString(hasher.finalize()), vectors[3].1, "split at \(split)")
        }
        var hasher = SHA256Hasher()
        hasher.update(Array("ab".utf8))
        _ = hasher.finalize()
        hasher.update(Array("c".utf8))
        XCTAssertEqual(SHA256.hexString(hasher.finalize()), vectors[1].1)
        XCTAssertEqual(SHA256.hash(Array("abc".utf8)).count, 32)
    }
}
