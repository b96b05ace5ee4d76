// Fuzz target `job-file`: JobFileReader's line splitting.
//
// The input is a whole job file. It is written to a scratch file and read back with the
// smallest chunk size the reader allows (4096 bytes, so lines straddle chunks in inputs past
// that; scripts/fuzz raises -max_len for this target) and an input-derived small line
// limit. Invariants:
// - the lines, their numbers and the too-long verdicts equal a plain split of the whole
//   input: a leading BOM dropped, `\n` ends a line, one `\r` before it is not content, a
//   last line without `\n` still counts, a line over the limit (its `\r` included) is
//   reported with its size instead of its bytes;
// - a file that starts with a UTF-16 byte order mark is refused as such, and nothing else is;
// - the digest sees every byte of the file, in order, except those of lines over the limit
//   (such a line fails the submission anyway; not hashing it keeps a huge line cheap).

import Foundation
import PromptBatchKit

enum ReadLine: Equatable {
    case content(number: Int, bytes: [UInt8])
    case tooLong(number: Int, byteCount: Int)
}

let scratchPath = FileManager.default.temporaryDirectory
    .appendingPathComponent("promptbatch-fuzz-job-file-\(getpid()).jsonl").path

func fuzz(_ input: UnsafeRawBufferPointer) {
    var random = InputDerivedGenerator(seededBy: input)
    let maximumLineBytes = Int.random(in: 1...80, using: &random)
    writeScratchFile(input)

    var lines: [ReadLine] = []
    var digested: [UInt8] = []
    do {
        let reader = try JobFileReader(path: scratchPath, maximumLineBytes: maximumLineBytes, chunkSize: 4096)
        try reader.forEachLine(digest: { digested.append(contentsOf: $0) }) { line in
            switch line {
            case .content(let number, let bytes): lines.append(.content(number: number, bytes: Array(bytes)))
            case .tooLong(let number, let byteCount): lines.append(.tooLong(number: number, byteCount: byteCount))
            }
        }
    } catch let error as JobFileError where startsWithUTF16ByteOrderMark(input) {
        // The one refusal a readable file gets, said once for the whole file.
        expect(error.message.hasPrefix("starts with a UTF-16 byte order mark"), "unexpected refusal: \(error)")
        return
    } catch {
        expect(false, "reading the scratch file failed: \(error)")
    }
    expect(!startsWithUTF16ByteOrderMark(input), "a file starting with a UTF-16 byte order mark was read")

    let expectedDigest = referenceDigest(input, maximumLineBytes: maximumLineBytes)
    expect(digested == expectedDigest, "the digest saw \(digested.count) bytes, not the \(expectedDigest.count) of the file's lines within the limit")
    let expected = referenceLines(input, maximumLineBytes: maximumLineBytes)
    expect(lines == expected, "lines differ with limit \(maximumLineBytes)\n  read:     \(lines)\n  expected: \(expected)")
}

func referenceLines(_ input: UnsafeRawBufferPointer, maximumLineBytes: Int) -> [ReadLine] {
    var bytes = Array(input)[...]
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
    var pieces = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    if pieces.last?.isEmpty == true { pieces.removeLast() }
    return pieces.enumerated().map { offset, piece in
        if piece.count > maximumLineBytes { return .tooLong(number: offset + 1, byteCount: piece.count) }
        return .content(number: offset + 1, bytes: Array(piece.last == 0x0D ? piece.dropLast() : piece))
    }
}

func startsWithUTF16ByteOrderMark(_ input: UnsafeRawBufferPointer) -> Bool {
    input.count >= 2 && ((input[0] == 0xFF && input[1] == 0xFE) || (input[0] == 0xFE && input[1] == 0xFF))
}

/// The bytes the digest must see: a leading BOM, then each line within the limit with its `\n`.
func referenceDigest(_ input: UnsafeRawBufferPointer, maximumLineBytes: Int) -> [UInt8] {
    var bytes = Array(input)[...]
    var digest: [UInt8] = []
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
        digest += [0xEF, 0xBB, 0xBF]
        bytes = bytes.dropFirst(3)
    }
    let pieces = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    for (offset, piece) in pieces.enumerated() where piece.count <= maximumLineBytes {
        digest += piece
        if offset < pieces.count - 1 { digest.append(0x0A) }
    }
    return digest
}

func writeScratchFile(_ input: UnsafeRawBufferPointer) {
    let descriptor = open(scratchPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    expect(descriptor >= 0, "cannot create \(scratchPath): \(String(cString: strerror(errno)))")
    defer { close(descriptor) }
    var written = 0
    while written < input.count {
        let count = write(descriptor, input.baseAddress! + written, input.count - written)
        expect(count > 0 || errno == EINTR, "cannot write \(scratchPath): \(String(cString: strerror(errno)))")
        if count > 0 { written += count }
    }
}
