/// One dispatched Server-Sent Event, as produced by the WHATWG
/// "event stream interpretation" (HTML §9.2.6).
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field, or `nil` when it was absent or empty (both mean the
    /// default type, `message`).
    public var event: String?
    /// The `data:` lines of the event joined with `"\n"`.
    public var data: String
    /// The `id:` field given in this event's block, or `nil` when the block had
    /// none. The spec's persistent "last event ID" is
    /// ``ServerSentEventDecoder/lastEventID``.
    public var id: String?
    /// The `retry:` field given in this event's block (milliseconds), or `nil`
    /// when the block had none or it was not all ASCII digits.
    public var retry: Int?

    /// Creates an event.
    public init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }
}

/// Decodes a `text/event-stream` body into ``ServerSentEvent``s.
///
/// Bytes in, events out: a pure state machine with no I/O that accepts any
/// split of the input (one byte at a time included) and yields the same events.
/// Lines are found on bytes and only complete lines become `String`s.
///
/// After ``finish()`` the decoder starts a new stream (the byte order mark is
/// accepted again); ``lastEventID``, ``reconnectionTime`` and
/// ``commentCount`` carry over, as they belong to the connection, not to one
/// response. After ``decode(_:)`` throws, the decoder is failed: every further
/// `decode` throws the same error until ``finish()``.
public struct ServerSentEventDecoder: Sendable {
    /// The most bytes one event may occupy: its non-comment lines (without
    /// line endings) plus the line being read, comment or not.
    public let maximumEventBytes: Int

    /// Number of comment lines seen so far (keep-alives such as
    /// `: OPENROUTER PROCESSING`).
    public private(set) var commentCount: Int = 0

    /// The spec's "last event ID buffer": the latest `id:` without NUL, kept
    /// across events (an empty `id:` resets it to `""`). Send it as
    /// `Last-Event-ID` when reconnecting.
    public private(set) var lastEventID: String?

    /// The latest valid `retry:` value in milliseconds, whether or not its
    /// block dispatched an event.
    public private(set) var reconnectionTime: Int?

    /// Unconsumed input. After every `decode` it holds at most one
    /// unterminated line, so the memory kept is bounded by `maximumEventBytes`.
    private var buffer: [UInt8] = []
    /// How many leading bytes of `buffer` are known to hold no line ending, so
    /// an event trickling in byte by byte is scanned once, not quadratically.
    private var scannedCount = 0
    /// The last line ended in a CR that was the last byte received; an LF
    /// arriving next belongs to that same CRLF.
    private var skipsLeadingLF = false
    /// No byte has been examined yet, so a leading BOM must still be dropped.
    private var awaitsByteOrderMark = true
    /// Stream offset of `buffer[0]`, so errors can say where they happened.
    private var streamOffset = 0
    private var pending = PendingEvent()
    private var finishedWithPartialEvent = false
    private var failure: Error?

    /// Creates a decoder.
    /// - Parameter maximumEventBytes: The most bytes one event may occupy;
    ///   beyond that ``decode(_:)`` throws ``Error/Code/eventTooLarge``
    ///   instead of buffering without bound.
    public init(maximumEventBytes: Int = 16 * 1024 * 1024) {
        precondition(maximumEventBytes > 0, "maximumEventBytes must be positive")
        self.maximumEventBytes = maximumEventBytes
    }

    /// True when the input so far stops inside an event: a line without its
    /// line ending, or field lines not yet closed by an empty line. Checked
    /// after ``finish()`` it tells whether the stream was truncated (the
    /// incomplete event is discarded, as the spec requires). Complete comment
    /// lines and empty lines never make it true.
    public var hasPartialEvent: Bool {
        finishedWithPartialEvent || pending.fieldBytes > 0 || !buffer.isEmpty
    }

    /// Appends bytes and returns every event completed by them, in order.
    ///
    /// - Throws: ``Error/Code/eventTooLarge`` when one event outgrows
    ///   ``maximumEventBytes``; ``Error/Code/invalidUTF8`` when a completed line
    ///   is not valid UTF-8. Events completed earlier in the same call are lost
    ///   with the throw; the stream is not trustworthy past that point.
    public mutating func decode(_ bytes: some Sequence<UInt8>) throws(Error) -> [ServerSentEvent] {
        if let failure { throw failure }
        let previousCount = buffer.count
        buffer.append(contentsOf: bytes)
        guard buffer.count > previousCount else { return [] }
        finishedWithPartialEvent = false
        if awaitsByteOrderMark, !consumeByteOrderMark() { return [] }
        do throws(Error) {
            return try splitLines()
        } catch {
            failure = error
            throw error
        }
    }

    /// Ends the stream. Returns no event: the spec discards an event that the
    /// input ends inside of. Check ``hasPartialEvent`` afterwards to learn
    /// whether that happened.
    public mutating func finish() -> [ServerSentEvent] {
        finishedWithPartialEvent = hasPartialEvent
        buffer = []
        scannedCount = 0
        skipsLeadingLF = false
        awaitsByteOrderMark = true
        streamOffset = 0
        pending = PendingEvent()
        failure = nil
        return []
    }

    // MARK: - Lines

    /// Drops a UTF-8 BOM at the very start of the stream. Returns false while
    /// the bytes so far are still a proper prefix of one, so nothing is parsed.
    private mutating func consumeByteOrderMark() -> Bool {
        let mark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let count = min(buffer.count, mark.count)
        guard buffer.prefix(count).elementsEqual(mark.prefix(count)) else {
            awaitsByteOrderMark = false
            return true
        }
        guard count == mark.count else { return false }
        buffer.removeFirst(mark.count)
        streamOffset += mark.count
        awaitsByteOrderMark = false
        return true
    }

    private mutating func splitLines() throws(Error) -> [ServerSentEvent] {
        // Moved out of `self` so the closure below may mutate `self` while it
        // reads the bytes, and so the buffer stays uniquely referenced.
        var bytes: [UInt8] = []
        swap(&bytes, &buffer)
        defer { swap(&bytes, &buffer) }

        var events: [ServerSentEvent] = []
        var lineStart = 0
        var failure: Error?
        bytes.withUnsafeBufferPointer { input in
            var index = scannedCount
            if skipsLeadingLF {
                skipsLeadingLF = false
                if input[0] == ASCII.lf {
                    lineStart = 1
                    index = 1
                }
            }
            let end = input.count
            while true {
                index = lineEndingIndex(in: input, from: index)
                guard index < end else { break }
                let byte = input[index]
                do throws(Error) {
                    let line = UnsafeBufferPointer(rebasing: input[lineStart..<index])
                    if let event = try processLine(line, at: streamOffset + lineStart) {
                        events.append(event)
                    }
                } catch {
                    failure = error
                    return
                }
                index += 1
                if byte == ASCII.cr {
                    if index < end {
                        if input[index] == ASCII.lf { index += 1 }
                    } else {
                        skipsLeadingLF = true
                    }
                }
                lineStart = index
            }
        }
        if let failure { throw failure }

        if lineStart == bytes.count {
            // Keep the allocation for the next chunk unless one huge event
            // left it oversized.
            bytes.removeAll(keepingCapacity: bytes.capacity <= 1 << 20)
        } else if lineStart > 0 {
            bytes.removeSubrange(0..<lineStart)
        }
        streamOffset += lineStart
        scannedCount = bytes.count
        if pending.fieldBytes + bytes.count > maximumEventBytes {
            throw .eventTooLarge(limit: maximumEventBytes, byteOffset: streamOffset)
        }
        return events
    }

    /// Interprets one line (without its line ending); returns the event an
    /// empty line dispatches.
    private mutating func processLine(
        _ line: UnsafeBufferPointer<UInt8>,
        at offset: Int
    ) throws(Error) -> ServerSentEvent? {
        guard let first = line.first else { return pending.dispatch() }
        if first == ASCII.colon {
            // Checked like the unterminated line it was until its line ending came, so
            // whether a long comment fails does not depend on where the input was split.
            if pending.fieldBytes + line.count > maximumEventBytes {
                throw .eventTooLarge(limit: maximumEventBytes, byteOffset: offset)
            }
            guard isValidUTF8(line) else { throw .invalidUTF8(byteOffset: offset) }
            commentCount += 1
            return nil
        }
        pending.fieldBytes += line.count
        if pending.fieldBytes > maximumEventBytes {
            throw .eventTooLarge(limit: maximumEventBytes, byteOffset: offset)
        }

        let field: UnsafeBufferPointer<UInt8>
        let value: UnsafeBufferPointer<UInt8>
        if let colon = line.firstIndex(of: ASCII.colon) {
            field = UnsafeBufferPointer(rebasing: line[..<colon])
            var valueStart = colon + 1
            if valueStart < line.count, line[valueStart] == ASCII.space { valueStart += 1 }
            value = UnsafeBufferPointer(rebasing: line[valueStart...])
        } else {
            field = line
            value = UnsafeBufferPointer(rebasing: line[line.count...])
        }

        switch FieldName(field) {
        case .data:
            let text = try string(value, lineAt: offset)
            if pending.data == nil {
                pending.data = text
            } else {
                pending.data!.append("\n")
                pending.data!.append(text)
            }
        case .event:
            pending.eventType = try string(value, lineAt: offset)
        case .id:
            let text = try string(value, lineAt: offset)
            // NUL is valid UTF-8, so it is rejected only after validation.
            if !value.contains(0) {
                pending.id = text
                lastEventID = text
            }
        case .retry:
            if !value.isEmpty, value.allSatisfy({ ASCII.zero <= $0 && $0 <= ASCII.nine }) {
                // Too many digits for an Int: no meaningful delay, ignore it.
                if let milliseconds = Int(String(decoding: value, as: UTF8.self)) {
                    pending.retry = milliseconds
                    reconnectionTime = milliseconds
                }
            } else if !isValidUTF8(value) {
                throw .invalidUTF8(byteOffset: offset)
            }
        case nil:
            guard isValidUTF8(line) else { throw .invalidUTF8(byteOffset: offset) }
        }
        return nil
    }

    private func string(_ bytes: UnsafeBufferPointer<UInt8>, lineAt offset: Int) throws(Error) -> String {
        guard isValidUTF8(bytes) else { throw .invalidUTF8(byteOffset: offset) }
        // Already validated, so this only copies; it never repairs.
        return String(decoding: bytes, as: UTF8.self)
    }
}

// MARK: - Errors

extension ServerSentEventDecoder {
    /// Why decoding stopped.
    public struct Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        /// The kind of failure.
        public struct Code: Sendable, Hashable, CustomStringConvertible {
            private enum Value: Sendable, Hashable {
                case eventTooLarge
                case invalidUTF8
            }

            private let value: Value

            /// One event outgrew ``ServerSentEventDecoder/maximumEventBytes``.
            public static let eventTooLarge = Code(value: .eventTooLarge)
            /// A completed line is not valid UTF-8.
            public static let invalidUTF8 = Code(value: .invalidUTF8)

            /// A short name for the code.
            public var description: String {
                switch value {
                case .eventTooLarge: "eventTooLarge"
                case .invalidUTF8: "invalidUTF8"
                }
            }
        }

        /// The kind of failure.
        public var code: Code
        /// For ``Code/eventTooLarge``, the limit that was exceeded; otherwise nil.
        public var limit: Int?
        /// Offset from the start of the stream (BOM included) of the first
        /// byte of the offending line.
        public var byteOffset: Int

        /// Creates an error.
        public init(code: Code, limit: Int? = nil, byteOffset: Int) {
            self.code = code
            self.limit = limit
            self.byteOffset = byteOffset
        }

        /// An event exceeded `limit` bytes.
        public static func eventTooLarge(limit: Int, byteOffset: Int) -> Self {
            Self(code: .eventTooLarge, limit: limit, byteOffset: byteOffset)
        }

        /// A line was not valid UTF-8.
        public static func invalidUTF8(byteOffset: Int) -> Self {
            Self(code: .invalidUTF8, byteOffset: byteOffset)
        }

        /// A human-readable explanation.
        public var description: String {
            if let limit {
                return "server-sent event \(code) (limit \(limit) bytes) at byte \(byteOffset)"
            }
            return "server-sent event stream \(code) at byte \(byteOffset)"
        }
    }
}

// MARK: - Helpers

/// The fields of the event being assembled, reset by every empty line.
private struct PendingEvent: Sendable {
    var eventType: String?
    var data: String?
    var id: String?
    var retry: Int?
    /// Bytes of this block's non-comment lines; non-zero exactly when a field
    /// line has been seen, since such a line is never empty.
    var fieldBytes = 0

    /// Handles an empty line: the event if any `data` line was seen (even an
    /// empty one), and a fresh block either way.
    mutating func dispatch() -> ServerSentEvent? {
        defer { self = PendingEvent() }
        guard let data else { return nil }
        let type = eventType.flatMap { $0.isEmpty ? nil : $0 }
        return ServerSentEvent(event: type, data: data, id: id, retry: retry)
    }
}

private enum FieldName {
    case data, event, id, retry

    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Compared as bytes: building a String per line would dominate the
        // cost of a small event.
        if bytes.matches("data") {
            self = .data
        } else if bytes.matches("event") {
            self = .event
        } else if bytes.matches("id") {
            self = .id
        } else if bytes.matches("retry") {
            self = .retry
        } else {
            return nil
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    fileprivate func matches(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<count where self[index] != expected[index] {
            return false
        }
        return true
    }
}

/// The index of the first CR or LF at or after `start`, or `bytes.count`.
private func lineEndingIndex(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    guard let base = bytes.baseAddress else { return start }
    let end = bytes.count
    var index = start
    // Eight bytes per step: a word holds a CR or LF exactly when XOR with
    // that byte repeated leaves a zero byte, which the classic
    // "(v - 0x01…) & ~v & 0x80…" test detects.
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    while index + 8 <= end {
        let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
        let lf = word ^ (ones &* UInt64(ASCII.lf))
        let cr = word ^ (ones &* UInt64(ASCII.cr))
        if ((lf &- ones) & ~lf | (cr &- ones) & ~cr) & highs != 0 { break }
        index += 8
    }
    while index < end, base[index] != ASCII.lf, base[index] != ASCII.cr {
        index += 1
    }
    return index
}

private enum ASCII {
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let colon: UInt8 = 0x3A
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
}

/// Strict UTF-8 validation (no overlongs, surrogates or code points past
/// U+10FFFF). Written out because `String(validating:as:)` needs macOS 15,
/// and because this plus `String(decoding:as:)` measured faster than it.
/// Lines split only at ASCII bytes, which never occur inside a multi-byte
/// sequence, so validating line by line equals validating the stream.
private func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    let count = bytes.count
    var index = 0
    while index < count {
        // JSON payloads are mostly ASCII: take eight bytes at a time.
        if index + 8 <= count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            if word & 0x8080_8080_8080_8080 == 0 {
                index += 8
                continue
            }
        }
        let lead = base[index]
        if lead < 0x80 {
            index += 1
            continue
        }
        func isContinuation(_ offset: Int) -> Bool { base[index + offset] & 0xC0 == 0x80 }
        switch lead {
        case 0xC2...0xDF:
            guard index + 1 < count, isContinuation(1) else { return false }
            index += 2
        case 0xE0...0xEF:
            guard index + 2 < count else { return false }
            let second = base[index + 1]
            let lower: UInt8 = lead == 0xE0 ? 0xA0 : 0x80  // no overlongs
            let upper: UInt8 = lead == 0xED ? 0x9F : 0xBF  // no surrogates
            guard lower <= second, second <= upper, isContinuation(2) else { return false }
            index += 3
        case 0xF0...0xF4:
            guard index + 3 < count else { return false }
            let second = base[index + 1]
            let lower: UInt8 = lead == 0xF0 ? 0x90 : 0x80  // no overlongs
            let upper: UInt8 = lead == 0xF4 ? 0x8F : 0xBF  // nothing past U+10FFFF
            guard lower <= second, second <= upper, isContinuation(2), isContinuation(3) else { return false }
            index += 4
        default:
            return false
        }
    }
    return true
}
