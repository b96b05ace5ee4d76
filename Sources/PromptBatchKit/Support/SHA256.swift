import Crypto

/// SHA-256 as lowercase hex, streamed: recognises a job file submitted twice by its bytes, and
/// keys the response cache.
///
/// swift-crypto's (BoringSSL's, using the CPU's SHA extensions where it has them) hashes a
/// large submit's bytes about seven times as fast as the portable Swift this replaced, which
/// was a sixth of the reading side; the package was already built for the HTTP client's TLS.
struct SHA256: Sendable {
    private var hasher = Crypto.SHA256()

    init() {}

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest as lowercase hex.
    func finalize() -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in hasher.finalize() {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
