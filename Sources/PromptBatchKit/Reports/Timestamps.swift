import Foundation

enum Timestamps {
    /// Milliseconds since 1970 → `2026-11-25T14:05:29.123Z`.
    static func iso8601(milliseconds: Int64) -> String {
        var bytes: [UInt8] = []
        appendISO8601(milliseconds: milliseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `2026-11-25T14:05:29.123Z` for milliseconds since 1970 (nil: nothing).
    static func appendISO8601(milliseconds: Int64?, to bytes: inout [UInt8]) {
        guard let milliseconds else { return }
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ width: Int) {
            var divisor: Int32 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(parts.tm_year + 1900, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(parts.tm_mon + 1, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(parts.tm_mday, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(parts.tm_hour, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(parts.tm_min, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(parts.tm_sec, 2)
        bytes.append(UInt8(ascii: "."))
        digits(Int32(milliseconds % 1000), 3)
        bytes.append(UInt8(ascii: "Z"))
    }
}

extension Date {
    /// `2026-11-25T14:05:29.123Z`, as reports write times.
    public var iso8601UTC: String { Timestamps.iso8601(milliseconds: millisecondsSince1970) }
}
