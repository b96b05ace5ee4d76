import Foundation
import Testing
@testable import PromptBatchKit

/// `JobFileReader` splits lines the same wherever its chunks fall, and digests every byte of a
/// good file (so the content hash is the file's SHA-256) but none of an over-long line.
@Suite struct JobFileReaderTests {
    struct Read: Equatable {
        var lines: [String] = []
        var digest = ""
    }

    /// Reads `bytes` from a file in the smallest chunks the reader allows (4096 bytes).
    static func read(_ bytes: [UInt8], maximumLineBytes: Int) throws -> Read {
        let directory = try TemporaryDirectory()
        let path = try directory.write("jobs.jsonl", bytes: bytes)
        let reader = try JobFileReader(path: path, maximumLineBytes: maximumLineBytes, chunkSize: 4096)
        var hasher = SHA256()
        var read = Read()
        try reader.forEachLine(digest: { hasher.update($0) }) { line in
            switch line {
            case .content(let number, let bytes): read.lines.append("\(number):\(String(decoding: bytes, as: UTF8.self))")
            case .tooLong(let number, let byteCount): read.lines.append("\(number):tooLong(\(byteCount))")
            }
        }
        read.digest = hasher.finalize()
        return read
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Lines straddling the first chunk boundary at every offset around it, with a BOM, CRLF,
    /// blank lines and no final newline.
    @Test(arguments: 4080...4100)
    func digestsEveryByteOfAGoodFileWhereverTheChunksFall(_ firstLineLength: Int) throws {
        let long = String(repeating: "a", count: firstLineLength)
        let text = "\u{FEFF}" + long + "\r\n\nshort\n" + String(repeating: "b", count: 9000) + "\nlast"
        let bytes = Array(text.utf8)
        let read = try Self.read(bytes, maximumLineBytes: 20_000)
        #expect(read.lines == ["1:" + long, "2:", "3:short", "4:" + String(repeating: "b", count: 9000), "5:last"])
        #expect(read.digest == Self.sha256(bytes))
    }

    @Test(arguments: [false, true])
    func skipsAnOverLongLineWithoutDigestingIt(hasFinalNewline: Bool) throws {
        let head = "first\n"
        let huge = String(repeating: "x", count: 10_000)
        let tail = "after\n"
        let bytes = Array((head + huge + "\n" + tail + huge + (hasFinalNewline ? "\n" : "")).utf8)
        let read = try Self.read(bytes, maximumLineBytes: 5000)
        #expect(read.lines == ["1:first", "2:tooLong(10000)", "3:after", "4:tooLong(10000)"])
        #expect(read.digest == Self.sha256(Array((head + tail).utf8)))
    }

    @Test(arguments: [[0xFF, 0xFE], [0xFE, 0xFF]] as [[UInt8]])
    func refusesAUTF16File(_ byteOrderMark: [UInt8]) throws {
        let bytes = byteOrderMark + Array("{\"messages\":[]}\n".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(throws: JobFileError.self) { try Self.read(bytes, maximumLineBytes: 1000) }
    }
}
