import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A chat completion and its JSON text, one line long: the body as it was received when it
/// already is one line (a JSONL file can hold it as it is), else ``ChatResponse/json`` encoded.
public struct ChatAnswer: Sendable {
    public var response: ChatResponse
    /// JSON of one line, with no surrounding whitespace.
    public var text: String

    public init(response: ChatResponse, text: String) {
        self.response = response
        self.text = text
    }

    /// The received body, trimmed of the whitespace around it (OpenRouter may send some
    /// before the JSON while a slow completion runs), when nothing else in it breaks a line
    /// and it is an object; otherwise `parsed` encoded again.
    static func oneLineText(_ body: ByteBuffer, parsed: JSONValue) -> String {
        let text = body.withUnsafeReadableBytes { bytes -> String? in
            var start = 0
            var end = bytes.count
            while start < end, isWhitespace(bytes[start]) { start += 1 }
            while end > start, isWhitespace(bytes[end - 1]) { end -= 1 }
            guard start < end, bytes[start] == UInt8(ascii: "{") else { return nil }
            let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            // Outside strings, where JSON allows them; inside, they are escaped. `memchr`, not
            // `contains`, which went byte by byte through a closure (0.5% of a run's samples).
            guard let base = line.baseAddress,
                memchr(base, Int32(UInt8(ascii: "\n")), line.count) == nil,
                memchr(base, Int32(UInt8(ascii: "\r")), line.count) == nil
            else { return nil }
            return String(decoding: line, as: UTF8.self)
        }
        return text ?? parsed.serialized
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }
}
