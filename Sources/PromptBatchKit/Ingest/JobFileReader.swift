import Foundation

/// Reads a job file line by line in fixed-size chunks, so memory stays flat whatever the
/// file's size, and a line longer than the limit is skipped over without being held.
public struct JobFileReader: ~Copyable {
    /// One line, without its line ending (`\n` or `\r\n`).
    public enum Line {
        /// The bytes are valid only during the callback.
        case content(number: Int, bytes: UnsafeRawBufferPointer)
        case tooLong(number: Int, byteCount: Int)
    }

    public let path: String
    private let descriptor: Int32
    private let maximumLineBytes: Int
    private let chunkSize: Int

    /// - Throws: ``JobFileError`` when the path is missing, a directory, or unreadable.
    public init(path: String, maximumLineBytes: Int, chunkSize: Int = 1 << 20) throws(JobFileError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw JobFileError(path: path, message: String(cString: strerror(errno)).lowercased())
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            throw JobFileError(path: path, message: "is a directory, not a job file")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw JobFileError(path: path, message: String(cString: strerror(errno)).lowercased())
        }
        self.path = path
        self.descriptor = descriptor
        self.maximumLineBytes = maximumLineBytes
        self.chunkSize = max(chunkSize, 4096)
    }

    deinit { close(descriptor) }

    /// Calls `body` for every line, blank ones included, numbered from 1, and feeds `digest`
    /// every byte of the file in order (for the content hash) except those of lines over the
    /// limit: such a line fails the submission anyway, and not hashing it keeps a huge line
    /// cheap to refuse. A UTF-8 BOM at the start is skipped (and digested).
    ///
    /// - Throws: ``JobFileError`` when reading fails or the file starts with a UTF-16 BOM;
    ///   whatever `body` throws.
    public func forEachLine(digest: (UnsafeRawBufferPointer) -> Void, _ body: (Line) throws -> Void) throws {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 1)
        defer { chunk.deallocate() }
        var pending: [UInt8] = []          // the start of a line that continues in the next chunk
        var pendingOverflow = 0            // bytes of an over-long line seen so far (0 = not over)
        var lineNumber = 1
        var isFirstChunk = true

        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            var line = bytes
            if let last = line.last, last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
            try body(.content(number: lineNumber, bytes: line))
        }

        while true {
            let count = read(descriptor, chunk.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw JobFileError(path: path, message: "read failed: " + String(cString: strerror(errno)).lowercased())
            }
            if count == 0 { break }
            var data = UnsafeRawBufferPointer(rebasing: chunk[0..<count])
            if isFirstChunk {
                isFirstChunk = false
                // Windows tools often write UTF-16; said once here, rather than as a puzzling error on every line.
                if data.count >= 2, (data[0] == 0xFF && data[1] == 0xFE) || (data[0] == 0xFE && data[1] == 0xFF) {
                    throw JobFileError(path: path, message: "starts with a UTF-16 byte order mark; job files must be UTF-8")
                }
                if data.count >= 3, data[0] == 0xEF, data[1] == 0xBB, data[2] == 0xBF {
                    digest(UnsafeRawBufferPointer(rebasing: data[0..<3]))
                    data = UnsafeRawBufferPointer(rebasing: data[3...])
                }
            }
            var start = data.startIndex
            while start < data.endIndex {
                // memchr rather than firstIndex(of:): fast even in a debug build, where a 100 MB
                // line would otherwise take minutes to skip.
                guard let found = memchr(data.baseAddress! + start, 0x0A, data.endIndex - start) else {
                    let rest = data.endIndex - start
                    if pendingOverflow > 0 {
                        pendingOverflow += rest
                    } else if pending.count + rest > maximumLineBytes {
                        pendingOverflow = pending.count + rest
                        pending.removeAll()
                    } else {
                        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[start...]))
                    }
                    start = data.endIndex
                    break
                }
                let newline = UnsafeRawPointer(data.baseAddress!).distance(to: UnsafeRawPointer(found))
                let piece = UnsafeRawBufferPointer(rebasing: data[start..<newline])
                if pendingOverflow > 0 {
                    try body(.tooLong(number: lineNumber, byteCount: pendingOverflow + piece.count))
                    pendingOverflow = 0
                } else if pending.isEmpty {
                    if piece.count > maximumLineBytes {
                        try body(.tooLong(number: lineNumber, byteCount: piece.count))
                    } else {
                        digest(UnsafeRawBufferPointer(rebasing: data[start...newline]))
                        try emit(piece)
                    }
                } else {
                    pending.append(contentsOf: piece)
                    if pending.count > maximumLineBytes {
                        try body(.tooLong(number: lineNumber, byteCount: pending.count))
                    } else {
                        pending.withUnsafeBytes { digest($0) }
                        digest(UnsafeRawBufferPointer(rebasing: data[newline...newline]))
                        try pending.withUnsafeBytes { try emit($0) }
                    }
                    pending.removeAll(keepingCapacity: pending.capacity <= 1 << 20)
                }
                lineNumber += 1
                start = newline + 1
            }
        }
        if pendingOverflow > 0 {
            try body(.tooLong(number: lineNumber, byteCount: pendingOverflow))
        } else if !pending.isEmpty {
            pending.withUnsafeBytes { digest($0) }
            try pending.withUnsafeBytes { try emit($0) }
        }
    }
}

/// A job file that cannot be read at all.
public struct JobFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}
