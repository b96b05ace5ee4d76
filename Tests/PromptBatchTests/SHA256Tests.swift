import Testing

@testable import PromptBatchKit

/// The content hash that recognises a file submitted twice: FIPS 180-4's own test vectors,
/// fed whole and in pieces.
@Suite struct SHA256Tests {
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ]

    @Test func matchesTheStandardsTestVectors() {
        for (message, digest) in Self.vectors {
            var hasher = SHA256()
            hasher.update(Array(message.utf8))
            #expect(hasher.finalize() == digest, "\(message.prefix(20))")
        }
    }

    @Test func aMillionAsFedInUnevenPiecesMatchTheVector() {
        var hasher = SHA256()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var fed = 0
        var size = 1
        while fed < 1_000_000 {
            let count = min(size, 1_000_000 - fed)
            hasher.update(Array(piece[0..<min(count, piece.count)]))
            fed += min(count, piece.count)
            size = size % 997 + 63
        }
        #expect(hasher.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
