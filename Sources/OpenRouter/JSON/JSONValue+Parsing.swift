/// Why a document is not strict JSON, and where.
///
/// The description names the problem and the byte offset only: it never quotes the input, which may
/// hold API keys or prompts. The one exception is a duplicate object key, shown escaped and capped at
/// 64 characters, because a key is structure rather than content and naming it makes the error usable.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 0-based offset into the input of the byte where the problem is.
    public var byteOffset: Int
    /// What is wrong, for example `unexpected end of input` or `duplicate key "model"`.
    public var message: String

    public init(byteOffset: Int, message: String) {
        self.byteOffset = byteOffset
        self.message = message
    }

    /// `"<message> at byte <offset>"`.
    public var description: String { "\(message) at byte \(byteOffset)" }
}

extension JSONValue {
    /// Parses exactly one JSON value (RFC 8259, strictly), with whitespace allowed around it.
    ///
    /// Rejects everything the RFC does not allow: trailing commas, comments, `NaN`/`Infinity`, leading zeros,
    /// unescaped control characters, lone surrogates, invalid UTF-8 and a byte order mark (strip that first).
    /// Also rejects duplicate object keys (compared as Swift strings, so canonically equivalent spellings
    /// clash), numbers too large for a `Double`, and nesting deeper than `maximumDepth` arrays and objects.
    /// Numbers keep their literal text.
    ///
    /// The parser is iterative, so hostile nesting cannot overflow the stack while parsing; but the value it
    /// builds is destroyed, compared and serialised recursively, so keep `maximumDepth` modest.
    public init(parsing bytes: UnsafeRawBufferPointer, maximumDepth: Int = 512) throws(JSONParseError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw JSONParseError(byteOffset: 0, message: "unexpected end of input")
        }
        var parser = JSONParser(
            base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count, maximumDepth: maximumDepth)
        self = try parser.parseDocument()
    }

    /// Parses exactly one JSON value from bytes, as the `UnsafeRawBufferPointer` overload does.
    ///
    /// Contiguous collections (`[UInt8]`, `Data`, `ByteBuffer` views, slices) are parsed in place; others are copied once.
    public init(parsing bytes: some Collection<UInt8>, maximumDepth: Int = 512) throws(JSONParseError) {
        let parse = { (buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> in
            Result { () throws(JSONParseError) in
                try JSONValue(parsing: UnsafeRawBufferPointer(buffer), maximumDepth: maximumDepth)
            }
        }
        let result = bytes.withContiguousStorageIfAvailable(parse) ?? Array(bytes).withUnsafeBufferPointer(parse)
        self = try result.get()
    }

    /// Parses exactly one JSON value from the UTF-8 of `text`, as the `UnsafeRawBufferPointer` overload does.
    public init(parsing text: String, maximumDepth: Int = 512) throws(JSONParseError) {
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(JSONParseError) in
                try JSONValue(parsing: UnsafeRawBufferPointer(buffer), maximumDepth: maximumDepth)
            }
        }
        self = try result.get()
    }
}

// MARK: - The parser

/// Byte values the parser compares against, named once so the hot loops read as grammar.
private enum Byte {
    static let quote: UInt8 = 0x22  // "
    static let backslash: UInt8 = 0x5C
    static let slash: UInt8 = 0x2F
    static let comma: UInt8 = 0x2C
    static let colon: UInt8 = 0x3A
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D
    static let minus: UInt8 = 0x2D
    static let plus: UInt8 = 0x2B
    static let dot: UInt8 = 0x2E
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let lowerE: UInt8 = 0x65
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
}

/// An iterative parser over one contiguous buffer.
///
/// Open containers live on explicit stacks rather than the call stack, so depth is bounded only by
/// `maximumDepth`. Finished values wait on one flat `values` stack and are moved into their array or
/// object when it closes, which avoids copy-on-write traffic from mutating nested containers in place.
private struct JSONParser: ~Copyable {
    let base: UnsafePointer<UInt8>
    let count: Int
    let maximumDepth: Int
    var index = 0

    struct Frame {
        var isObject: Bool
        var valueStart: Int
        var keyStart: Int
        /// `nonASCIIKeyCount` when the frame opened: the object's own keys are all ASCII when
        /// it is the same at its close.
        var nonASCIIKeysAtStart: Int
    }

    var frames = MoveStack<Frame>(capacity: 16)
    var values = MoveStack<JSONValue>(capacity: 32)
    var keys = MoveStack<String>(capacity: 32)
    /// Offsets of the opening quotes of `keys`, kept only to place duplicate-key errors.
    var keyOffsets = MoveStack<Int>(capacity: 32)
    /// Keys on `keys` that are not plain ASCII (a non-ASCII byte or an escape).
    var nonASCIIKeyCount = 0
    /// Whether the last string parsed was plain ASCII, with no escape.
    var lastStringWasASCII = false
    /// Reused for strings with escapes; plain strings never touch it.
    var scratch: [UInt8] = []

    init(base: UnsafePointer<UInt8>, count: Int, maximumDepth: Int) {
        self.base = base
        self.count = count
        self.maximumDepth = maximumDepth
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < count {
            let b = base[index]
            // Everything above space is significant, so one compare settles the common case.
            guard b <= Byte.space, b == Byte.space || b == Byte.newline || b == Byte.carriageReturn || b == Byte.tab
            else { return }
            index += 1
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        var afterComma = false
        while true {
            // A value starts at `index` (whitespace already skipped).
            guard index < count else { throw fail(count, "unexpected end of input") }
            var value: JSONValue
            switch base[index] {
            case Byte.openBrace:
                guard frames.count < maximumDepth else { throw depthError() }
                index += 1
                skipWhitespace()
                if index < count, base[index] == Byte.closeBrace {
                    index += 1
                    value = .object(JSONObject())
                } else {
                    frames.push(Frame(isObject: true, valueStart: values.count, keyStart: keys.count, nonASCIIKeysAtStart: nonASCIIKeyCount))
                    try parseKeyAndColon(afterComma: false)
                    afterComma = false
                    continue
                }
            case Byte.openBracket:
                guard frames.count < maximumDepth else { throw depthError() }
                index += 1
                skipWhitespace()
                if index < count, base[index] == Byte.closeBracket {
                    index += 1
                    value = .array([])
                } else {
                    frames.push(Frame(isObject: false, valueStart: values.count, keyStart: keys.count, nonASCIIKeysAtStart: nonASCIIKeyCount))
                    afterComma = false
                    continue
                }
            case Byte.quote:
                value = .string(try parseString())
            case Byte.minus, Byte.zero...Byte.nine:
                value = .number(try parseNumber())
            case 0x74:  // t
                try expectLiteral("true")
                value = .bool(true)
            case 0x66:  // f
                try expectLiteral("false")
                value = .bool(false)
            case 0x6E:  // n
                try expectLiteral("null")
                value = .null
            case Byte.closeBracket where afterComma:  // objects catch theirs before the key
                throw fail(index, "trailing comma")
            default:
                throw unexpectedByte(index, expecting: "expected a JSON value")
            }

            // Attach the finished value to its container, closing every container that ends here.
            while true {
                guard let frame = frames.last else {
                    skipWhitespace()
                    guard index == count else { throw fail(index, "trailing characters after JSON value") }
                    return value
                }
                values.push(value)
                skipWhitespace()
                guard index < count else { throw fail(count, "unexpected end of input") }
                let b = base[index]
                if b == Byte.comma {
                    index += 1
                    skipWhitespace()
                    if frame.isObject { try parseKeyAndColon(afterComma: true) }
                    // An object's comma was already checked against '}' before its key.
                    afterComma = !frame.isObject
                    break
                }
                if frame.isObject {
                    guard b == Byte.closeBrace else { throw fail(index, "expected ',' or '}' after object member") }
                    frames.removeLast()
                    value = .object(try closeObject(frame))
                } else {
                    guard b == Byte.closeBracket else { throw fail(index, "expected ',' or ']' after array element") }
                    frames.removeLast()
                    value = .array(values.popArray(from: frame.valueStart))
                }
                index += 1
            }
        }
    }

    /// Parses `"key"` and the `:` after it, leaving `index` at the member's value.
    mutating func parseKeyAndColon(afterComma: Bool) throws(JSONParseError) {
        guard index < count else { throw fail(count, "unexpected end of input") }
        guard base[index] == Byte.quote else {
            if afterComma, base[index] == Byte.closeBrace { throw fail(index, "trailing comma") }
            throw unexpectedByte(index, expecting: "expected '\"' to begin an object key")
        }
        keyOffsets.push(index)
        keys.push(try parseString())
        if !lastStringWasASCII { nonASCIIKeyCount += 1 }
        skipWhitespace()
        guard index < count else { throw fail(count, "unexpected end of input") }
        guard base[index] == Byte.colon else { throw fail(index, "expected ':' after object key") }
        index += 1
        skipWhitespace()
    }

    /// Builds the object for `frame`, which the caller has already popped.
    mutating func closeObject(_ frame: Frame) throws(JSONParseError) -> JSONObject {
        let memberKeys = keys.popArray(from: frame.keyStart)
        let memberValues = values.popArray(from: frame.valueStart)
        let keysAreASCII = nonASCIIKeyCount == frame.nonASCIIKeysAtStart
        nonASCIIKeyCount = frame.nonASCIIKeysAtStart
        guard let object = JSONObject(uniqueKeys: memberKeys, values: memberValues, keysAreASCII: keysAreASCII) else {
            var seen = Set<String>()
            let member = memberKeys.firstIndex { !seen.insert($0).inserted }!
            throw fail(keyOffsets[frame.keyStart + member], duplicateKeyMessage(memberKeys[member]))
        }
        keyOffsets.removeLast(memberKeys.count)
        return object
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let start = index
        let length = literal.utf8CodeUnitCount
        let expected = literal.utf8Start
        for offset in 0..<length {
            guard start + offset < count else { throw fail(count, "unexpected end of input") }
            guard base[start + offset] == expected[offset] else { throw fail(start, "invalid literal") }
        }
        index = start + length
    }

    // MARK: Numbers

    @inline(__always)
    func isDigit(_ offset: Int) -> Bool {
        offset < count && base[offset] &- Byte.zero < 10
    }

    mutating func skipDigits() {
        while isDigit(index) { index += 1 }
    }

    /// Validates `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` and keeps the literal text.
    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = index
        if base[index] == Byte.minus { index += 1 }
        guard index < count else { throw fail(count, "unexpected end of input") }
        let integerStart = index
        if base[index] == Byte.zero {
            index += 1
            if isDigit(index) { throw fail(integerStart, "leading zero in number") }
        } else if isDigit(index) {
            skipDigits()
        } else {
            throw fail(index, "expected digit in number")
        }
        let integerDigits = index - integerStart
        var hasExponent = false
        if index < count, base[index] == Byte.dot {
            index += 1
            guard index < count else { throw fail(count, "unexpected end of input") }
            guard isDigit(index) else { throw fail(index, "expected digit after decimal point") }
            skipDigits()
        }
        if index < count, base[index] | 0x20 == Byte.lowerE {
            hasExponent = true
            index += 1
            if index < count, base[index] == Byte.plus || base[index] == Byte.minus { index += 1 }
            guard index < count else { throw fail(count, "unexpected end of input") }
            guard isDigit(index) else { throw fail(index, "expected digit in exponent") }
            skipDigits()
        }
        let literal = String(decoding: UnsafeBufferPointer(start: base + start, count: index - start), as: UTF8.self)
        // Only an exponent or 309+ integer digits can exceed Double's range; the common case skips the conversion.
        if hasExponent || integerDigits > 308 {
            guard let value = Double(literal), value.isFinite else { throw fail(start, "number out of range") }
        }
        return JSONNumber(unchecked: literal)
    }

    // MARK: Strings

    /// Parses the string whose opening quote is at `index`, leaving `index` after the closing quote.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = index + 1
        var cursor = start
        var isASCII = true
        while true {
            cursor = scanPlainRun(from: cursor)
            guard cursor < count else { throw fail(count, "unexpected end of input") }
            let b = base[cursor]
            if b == Byte.quote {
                index = cursor + 1
                lastStringWasASCII = isASCII
                return String(decoding: UnsafeBufferPointer(start: base + start, count: cursor - start), as: UTF8.self)
            }
            if b == Byte.backslash {
                lastStringWasASCII = false
                return try parseEscapedString(start: start, firstEscape: cursor)
            }
            if b < 0x20 { throw fail(cursor, "control character in string") }
            isASCII = false
            cursor = try validateUTF8Sequence(at: cursor)
        }
    }

    /// Returns the offset of the first byte at or after `offset` that is not plain printable ASCII
    /// (a quote, backslash, control byte or non-ASCII byte), or `count`.
    @inline(__always)
    func scanPlainRun(from offset: Int) -> Int {
        var cursor = offset
        // Eight bytes at a time: a word with none of the special bytes is skipped in a few operations.
        // Unaligned loads are fine on every platform Swift runs on, via loadUnaligned.
        while cursor + 8 <= count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + cursor).loadUnaligned(as: UInt64.self))
            let hits = JSONWord.specialBytes(word, orNonASCII: true)
            // Borrows can only flag bytes above a real hit, so the lowest flagged byte is the first special one.
            if hits != 0 { return cursor + hits.trailingZeroBitCount >> 3 }
            cursor += 8
        }
        while cursor < count {
            let b = base[cursor]
            guard b >= 0x20, b < 0x80, b != Byte.quote, b != Byte.backslash else { return cursor }
            cursor += 1
        }
        return cursor
    }

    /// The slow path for strings containing escapes: decodes into `scratch`, still copying plain runs whole.
    mutating func parseEscapedString(start: Int, firstEscape: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        var runStart = start
        var cursor = firstEscape
        while true {
            guard cursor < count else { throw fail(count, "unexpected end of input") }
            let b = base[cursor]
            if b == Byte.quote || b == Byte.backslash {
                scratch.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: cursor - runStart))
            }
            if b == Byte.quote {
                index = cursor + 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if b == Byte.backslash {
                cursor = try decodeEscape(at: cursor)
                runStart = cursor
                cursor = scanPlainRun(from: cursor)
                continue
            }
            if b < 0x20 { throw fail(cursor, "control character in string") }
            if b >= 0x80 {
                cursor = try validateUTF8Sequence(at: cursor)
            } else {
                cursor += 1
            }
            cursor = scanPlainRun(from: cursor)
        }
    }

    /// Decodes the escape whose backslash is at `offset` into `scratch`; returns the offset after it.
    mutating func decodeEscape(at offset: Int) throws(JSONParseError) -> Int {
        guard offset + 1 < count else { throw fail(count, "unexpected end of input") }
        let decoded: UInt8
        switch base[offset + 1] {
        case Byte.quote: decoded = Byte.quote
        case Byte.backslash: decoded = Byte.backslash
        case Byte.slash: decoded = Byte.slash
        case 0x62: decoded = 0x08  // b
        case 0x66: decoded = 0x0C  // f
        case 0x6E: decoded = 0x0A  // n
        case 0x72: decoded = 0x0D  // r
        case 0x74: decoded = 0x09  // t
        case 0x75:  // u
            var scalar = try readHex4(at: offset + 2)
            var end = offset + 6
            if scalar & 0xFC00 == 0xDC00 { throw fail(offset, "lone surrogate in \\u escape") }
            if scalar & 0xFC00 == 0xD800 {
                // A high surrogate counts only with a low one right after it; anything else is a lone half.
                guard end + 1 < count, base[end] == Byte.backslash, base[end + 1] == 0x75 else {
                    if end + 1 >= count, end >= count || base[end] == Byte.backslash {
                        throw fail(count, "unexpected end of input")
                    }
                    throw fail(offset, "lone surrogate in \\u escape")
                }
                let low = try readHex4(at: end + 2)
                guard low & 0xFC00 == 0xDC00 else { throw fail(offset, "lone surrogate in \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                end += 6
            }
            appendUTF8(scalar)
            return end
        default:
            throw fail(offset, "invalid escape sequence")
        }
        scratch.append(decoded)
        return offset + 2
    }

    func readHex4(at offset: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for position in offset..<(offset + 4) {
            guard position < count else { throw fail(count, "unexpected end of input") }
            let b = base[position]
            let digit: UInt8
            switch b {
            case 0x30...0x39: digit = b - 0x30
            case 0x41...0x46: digit = b - 0x41 + 10
            case 0x61...0x66: digit = b - 0x61 + 10
            default: throw fail(position, "invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case ..<0x80:
            scratch.append(UInt8(scalar))
        case ..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    // MARK: UTF-8

    /// Validates the multi-byte UTF-8 sequence led by the byte at `offset` (which is ≥ 0x80) and
    /// returns the offset after it. Rejects overlongs, encoded surrogates, values above U+10FFFF,
    /// stray continuation bytes and truncated sequences, as RFC 3629 requires.
    func validateUTF8Sequence(at offset: Int) throws(JSONParseError) -> Int {
        guard let length = utf8SequenceLength(at: offset) else { throw fail(offset, "invalid UTF-8") }
        return offset + length
    }

    /// The length of the valid UTF-8 sequence at `offset`, or nil; pure, so error reporting can reuse it.
    func utf8SequenceLength(at offset: Int) -> Int? {
        let lead = base[offset]
        let length: Int
        // The second byte's allowed range is what excludes overlongs, surrogates and values past U+10FFFF.
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0x00..<0x80: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return nil
        }
        guard offset + length <= count else { return nil }
        let second = base[offset + 1]
        guard second >= low, second <= high else { return nil }
        for position in (offset + 2)..<(offset + length) where base[position] & 0xC0 != 0x80 {
            return nil
        }
        return length
    }

    // MARK: Errors (cold paths)

    func depthError() -> JSONParseError {
        fail(index, "nesting deeper than \(maximumDepth) level\(maximumDepth == 1 ? "" : "s")")
    }

    /// An error for a byte that cannot start what was expected; names invalid UTF-8 or a BOM when that is the cause.
    func unexpectedByte(_ offset: Int, expecting message: String) -> JSONParseError {
        let b = base[offset]
        if b >= 0x80 {
            if utf8SequenceLength(at: offset) == nil { return fail(offset, "invalid UTF-8") }
            if offset == 0, count >= 3, b == 0xEF, base[1] == 0xBB, base[2] == 0xBF {
                return fail(offset, "byte order mark is not allowed")
            }
        }
        return fail(offset, message)
    }

    /// Builds the error for a problem at `offset`, unless an open object repeated a key earlier in the
    /// document: duplicates are only looked for when an object closes, and the first problem should win.
    @inline(never)
    func fail(_ offset: Int, _ message: String) -> JSONParseError {
        var error = JSONParseError(byteOffset: offset, message: message)
        for position in 0..<frames.count where frames[position].isObject {
            let frame = frames[position]
            let end = position + 1 < frames.count ? frames[position + 1].keyStart : keys.count
            var seen = Set<String>()
            for member in frame.keyStart..<end where !seen.insert(keys[member]).inserted {
                if keyOffsets[member] < error.byteOffset {
                    error = JSONParseError(byteOffset: keyOffsets[member], message: duplicateKeyMessage(keys[member]))
                }
                break
            }
        }
        return error
    }

    func duplicateKeyMessage(_ key: String) -> String {
        var shown = key
        if shown.count > 64 { shown = String(shown.prefix(64)) + "…" }
        var quoted = ""
        JSONValue.writeString(shown, to: &quoted)
        return "duplicate key \(quoted)"
    }
}

// MARK: - Stacks

/// A growable stack whose top elements move out into a new array with no retain or release per element
/// (`Array` slices would copy, so retain, and then destroy, so release, every value). It also skips the
/// uniqueness and bounds checks an `Array` makes on every push and pop, which the parser's bookkeeping
/// does not need: it only ever reads below `count`.
private struct MoveStack<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    subscript(position: Int) -> Element {
        get { base[position] }
    }

    var last: Element? { count > 0 ? base[count - 1] : nil }

    mutating func removeLast(_ removed: Int = 1) {
        count -= removed
        (base + count).deinitialize(count: removed)
    }

    mutating func push(_ element: consuming Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    private mutating func grow() {
        let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        larger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = larger
        capacity *= 2
    }

    /// Moves the elements from `start` to the top out into an array.
    mutating func popArray(from start: Int) -> [Element] {
        // reserveCapacity + append is specialised for Element; Array(unsafeUninitializedCapacity:) calls an
        // unspecialised allocator that looks up generic metadata at run time, which cost more than the parse.
        var result: [Element] = []
        result.reserveCapacity(count - start)
        for position in start..<count {
            result.append((base + position).move())
        }
        count = start
        return result
    }
}
