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

    /// Calls `body` for every line, blank ones included, numbered from 1, and feeds every
    /// byte read to `digest` (for the content hash). A UTF-8 BOM at the start is skipped.
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
            digest(data)
            if isFirstChunk {
                isFirstChunk = false
                if data.count >= 3, data[0] == 0xEF, data[1] == 0xBB, data[2] == 0xBF {
                    data = UnsafeRawBufferPointer(rebasing: data[3...])
                }
            }
            var start = data.startIndex
            while start < data.endIndex {
                guard let newline = data[start...].firstIndex(of: 0x0A) else {
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
                let piece = UnsafeRawBufferPointer(rebasing: data[start..<newline])
                if pendingOverflow > 0 {
                    try body(.tooLong(number: lineNumber, byteCount: pendingOverflow + piece.count))
                    pendingOverflow = 0
                } else if pending.isEmpty {
                    if piece.count > maximumLineBytes {
                        try body(.tooLong(number: lineNumber, byteCount: piece.count))
                    } else {
                        try emit(piece)
                    }
                } else {
                    pending.append(contentsOf: piece)
                    if pending.count > maximumLineBytes {
                        try body(.tooLong(number: lineNumber, byteCount: pending.count))
                    } else {
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
