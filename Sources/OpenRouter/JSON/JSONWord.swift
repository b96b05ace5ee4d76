/// Eight bytes of JSON text tested at once, for the parser's and the serialiser's scans of
/// strings for the bytes that end a plain run.
enum JSONWord {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `word` (read little-endian) that is a quote, a backslash or
    /// below 0x20, and, when `orNonASCII`, at or above 0x80; zero when there is none. Borrows
    /// can flag a byte above a real hit, never below it, so the lowest flagged byte is the first
    /// such byte, and a word with none gives zero.
    @inline(__always)
    static func specialBytes(_ word: UInt64, orNonASCII: Bool) -> UInt64 {
        // (x - 0x01..) & ~x & 0x80.. is non-zero iff some byte of x is zero; (x - 0x20..) & ~x
        // likewise for a byte below 0x20.
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        var special = ((quotes &- ones) & ~quotes) | ((backslashes &- ones) & ~backslashes) | ((word &- ones &* 0x20) & ~word)
        if orNonASCII { special |= word }
        return special & highs
    }
}
